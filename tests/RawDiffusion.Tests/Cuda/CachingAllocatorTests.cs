using RawDiffusion.Cuda.Memory;

namespace RawDiffusion.Tests.Cuda;

/// <summary>The caching allocator's bookkeeping against a fake device (no GPU needed).</summary>
public class CachingAllocatorTests
{
    const long KiB = 1024, MiB = 1024 * 1024;

    [Theory]
    [InlineData(0, 512)]
    [InlineData(1, 512)]
    [InlineData(512, 512)]
    [InlineData(513, 1024)]
    [InlineData(MiB, MiB)]
    [InlineData(MiB + 1, MiB + 512)]
    [InlineData(3 * MiB + 100, 3 * MiB + 512)]
    public void RequestsRoundUpTo512Bytes(long bytes, long expected) =>
        Assert.Equal(expected, CudaCachingAllocator.RoundSize(bytes));

    [Theory]
    [InlineData(512, 2 * MiB)]
    [InlineData(MiB, 2 * MiB)]
    [InlineData(MiB + 512, 2 * MiB)]
    [InlineData(2 * MiB + 512, 4 * MiB)]
    [InlineData(9 * MiB, 10 * MiB)]
    public void SmallRequestsShare2MiBSegmentsAndLargeOnesRoundTo2MiB(long size, long segment) =>
        Assert.Equal(segment, CudaCachingAllocator.SegmentSize(size));

    [Fact]
    public void SmallBlocksAreCarvedFromOneSegmentAndAdjacent()
    {
        var device = new FakeDeviceMemory(64 * MiB);
        using var allocator = new CudaCachingAllocator(device);
        var a = allocator.Allocate(100);
        var b = allocator.Allocate(1000);
        var c = allocator.Allocate(600 * KiB);
        Assert.Equal([2 * MiB], device.Allocations);
        Assert.Equal(a.Pointer + 512, b.Pointer);
        Assert.Equal(b.Pointer + 1024, c.Pointer);
        Assert.Equal(0, a.Pointer % 512);
        var stats = allocator.Statistics;
        Assert.Equal(512 + 1024 + 600 * KiB, stats.AllocatedBytes);
        Assert.Equal(2 * MiB, stats.ReservedBytes);
        Assert.Equal(2 * MiB - stats.AllocatedBytes, stats.CachedBytes);
        Assert.Equal(3, stats.ActiveBlocks);
        Assert.Equal(1, stats.DeviceAllocations);
    }

    [Fact]
    public void FreedBlocksAreReusedWithoutNewDeviceAllocations()
    {
        var device = new FakeDeviceMemory(64 * MiB);
        using var allocator = new CudaCachingAllocator(device);
        for (int step = 0; step < 100; step++)
        {
            var small = allocator.Allocate(4000);
            var large = allocator.Allocate(5 * MiB);
            allocator.Free(small);
            allocator.Free(large);
        }
        Assert.Equal([2 * MiB, 6 * MiB], device.Allocations);
        Assert.Empty(device.Frees);
        var stats = allocator.Statistics;
        Assert.Equal(0, stats.AllocatedBytes);
        Assert.Equal(8 * MiB, stats.ReservedBytes);
        Assert.Equal(8 * MiB, stats.CachedBytes);
        Assert.Equal(0, stats.ActiveBlocks);
    }

    [Fact]
    public void BestFitTakesTheSmallestCachedBlockThatFits()
    {
        var device = new FakeDeviceMemory(64 * MiB);
        using var allocator = new CudaCachingAllocator(device);
        var a = allocator.Allocate(8 * KiB);
        var separatorA = allocator.Allocate(512);
        var b = allocator.Allocate(2 * KiB);
        var separatorB = allocator.Allocate(512);
        var (pointerA, pointerB) = (a.Pointer, b.Pointer);
        allocator.Free(a);
        allocator.Free(b);
        // 2 KiB fits both holes (8 KiB and 2 KiB); the smaller one is taken whole.
        Assert.Equal(pointerB, allocator.Allocate(2 * KiB).Pointer);
        // 3 KiB fits only the 8 KiB hole, which is split: the rest serves the next request.
        var c = allocator.Allocate(3 * KiB);
        Assert.Equal(pointerA, c.Pointer);
        Assert.Equal(pointerA + 3 * (nint)KiB, allocator.Allocate(5 * KiB).Pointer);
        Assert.Single(device.Allocations);
        GC.KeepAlive((separatorA, separatorB));
    }

    [Fact]
    public void FreeMergesNeighboursBackIntoOneBlock()
    {
        var device = new FakeDeviceMemory(64 * MiB);
        using var allocator = new CudaCachingAllocator(device);
        var blocks = Enumerable.Range(0, 4).Select(_ => allocator.Allocate(256 * KiB)).ToArray();
        var start = blocks[0].Pointer;
        // Free out of order: middle ones first, then the ends; the segment must end up whole again.
        allocator.Free(blocks[1]);
        allocator.Free(blocks[2]);
        allocator.Free(blocks[0]);
        allocator.Free(blocks[3]);
        var whole = allocator.Allocate(MiB);
        Assert.Equal(start, whole.Pointer);
        Assert.Single(device.Allocations);
        allocator.Free(whole);
        allocator.EmptyCache();
        Assert.Single(device.Frees);
        Assert.Equal(0, allocator.Statistics.ReservedBytes);
    }

    [Fact]
    public void LargeBlocksKeepTheirSegmentTailCachedAndSplitOnlyUsefulRemainders()
    {
        var device = new FakeDeviceMemory(256 * MiB);
        using var allocator = new CudaCachingAllocator(device);
        // 5 MiB + 512 B takes a 6 MiB segment; the ~1 MiB tail is too small to split off and stays with the block.
        var a = allocator.Allocate(5 * MiB + 1);
        Assert.Equal(6 * MiB, a.Size);
        allocator.Free(a);
        // A 2 MiB request reuses the cached 6 MiB block and splits off the 4 MiB remainder...
        var b = allocator.Allocate(2 * MiB);
        Assert.Equal(2 * MiB, b.Size);
        // ...which serves a 3 MiB request (its 1 MiB tail stays attached).
        var c = allocator.Allocate(3 * MiB);
        Assert.Equal(b.Pointer + 2 * (nint)MiB, c.Pointer);
        Assert.Equal(4 * MiB, c.Size);
        Assert.Equal([6 * MiB], device.Allocations);
    }

    [Fact]
    public void PeakStatisticsTrackTheHighWaterMark()
    {
        var device = new FakeDeviceMemory(256 * MiB);
        using var allocator = new CudaCachingAllocator(device);
        var a = allocator.Allocate(10 * MiB);
        var b = allocator.Allocate(20 * MiB);
        allocator.Free(a);
        allocator.Free(b);
        var c = allocator.Allocate(MiB);
        var stats = allocator.Statistics;
        Assert.Equal(30 * MiB, stats.PeakAllocatedBytes);
        Assert.Equal(32 * MiB, stats.PeakReservedBytes);
        Assert.Equal(MiB, stats.AllocatedBytes);
        Assert.Equal(3, stats.DeviceAllocations);
        GC.KeepAlive(c);
    }

    [Fact]
    public void OutOfMemoryReleasesTheCacheAndRetriesOnce()
    {
        var device = new FakeDeviceMemory(16 * MiB);
        using var allocator = new CudaCachingAllocator(device);
        var a = allocator.Allocate(6 * MiB);
        var b = allocator.Allocate(6 * MiB);
        allocator.Free(a);
        allocator.Free(b);
        // 12 MiB cached in two segments; 10 MiB needs a new segment, which fits only once the cache is released.
        var c = allocator.Allocate(10 * MiB);
        Assert.Equal(1, device.RefusedAllocations);
        Assert.Equal(2, device.Frees.Count);
        var stats = allocator.Statistics;
        Assert.Equal(10 * MiB, stats.ReservedBytes);
        Assert.Equal(2, stats.DeviceFrees);
        Assert.Equal(3, stats.DeviceAllocations);
        GC.KeepAlive(c);
    }

    [Fact]
    public void OutOfMemoryAfterTheRetryReportsTheRequestAndTheDevice()
    {
        var device = new FakeDeviceMemory(16 * MiB);
        using var allocator = new CudaCachingAllocator(device);
        var held = allocator.Allocate(12 * MiB);
        var e = Assert.Throws<CudaOutOfMemoryException>(() => allocator.Allocate(8 * MiB + 3));
        Assert.Equal(8 * MiB + 3, e.RequestedBytes);
        Assert.Equal(4 * MiB, e.FreeBytes);
        Assert.Equal(16 * MiB, e.TotalBytes);
        Assert.Equal(2, device.RefusedAllocations);
        Assert.Contains("8388611 bytes", e.Message);
        Assert.Contains("4.0 MiB free of 16.0 MiB", e.Message);
        Assert.Contains("CUDA_ERROR_OUT_OF_MEMORY", e.Message);
        Assert.Equal(12 * MiB, e.Statistics.AllocatedBytes);
        // The failed request left the allocator consistent.
        allocator.Free(held);
        Assert.Equal(0, allocator.Statistics.AllocatedBytes);
    }

    [Fact]
    public void EmptyCacheReleasesOnlyWhollyFreeSegments()
    {
        var device = new FakeDeviceMemory(64 * MiB);
        using var allocator = new CudaCachingAllocator(device);
        var keep = allocator.Allocate(1000);
        var sameSegment = allocator.Allocate(1000);
        var large = allocator.Allocate(4 * MiB);
        allocator.Free(sameSegment);
        allocator.Free(large);
        allocator.EmptyCache();
        Assert.Single(device.Frees);
        var stats = allocator.Statistics;
        Assert.Equal(2 * MiB, stats.ReservedBytes);
        Assert.Equal(1, stats.DeviceFrees);
        allocator.Free(keep);
        allocator.Dispose();
        Assert.Equal(0, device.InUse);
    }

    [Fact]
    public void FreeingTwiceOrIntoAnotherAllocatorThrows()
    {
        var device = new FakeDeviceMemory(64 * MiB);
        using var allocator = new CudaCachingAllocator(device);
        using var other = new CudaCachingAllocator(device);
        var block = allocator.Allocate(100);
        allocator.Free(block);
        Assert.Throws<InvalidOperationException>(() => allocator.Free(block));
        // Even after the range is handed out again (to a new block object), the stale one stays dead.
        var again = allocator.Allocate(100);
        Assert.Equal(block.Pointer, again.Pointer);
        Assert.Throws<InvalidOperationException>(() => allocator.Free(block));
        Assert.Throws<ArgumentException>(() => other.Free(again));
        Assert.Throws<ArgumentOutOfRangeException>(() => allocator.Allocate(-1));
    }

    [Fact]
    public void CudaBufferReturnsItsBlockOnDisposeOnce()
    {
        var device = new FakeDeviceMemory(64 * MiB);
        using var allocator = new CudaCachingAllocator(device);
        // The buffer never calls into its backend; the CPU backend stands in as the owner.
        var buffer = new CudaBuffer(Backends.Backend.Cpu, allocator, DType.Float64, 1000);
        Assert.Equal(8000, buffer.ByteLength);
        Assert.Equal(buffer.Pointer + 80, buffer.PointerAt(10));
        Assert.Equal(8192, allocator.Statistics.AllocatedBytes);
        buffer.Dispose();
        buffer.Dispose();
        Assert.Equal(0, allocator.Statistics.AllocatedBytes);
        Assert.Throws<ObjectDisposedException>(() => buffer.Pointer);
    }
}

namespace RawDiffusion.Cuda.Memory;

/// <summary>Device memory for tensors without a cuMemAlloc/cuMemFree per tensor: both calls take tens of
/// microseconds and cuMemFree synchronises the device, while training allocates and frees thousands of
/// activations per step. The design follows PyTorch's caching allocator, simplified for one stream:
/// <list type="bullet">
/// <item>Requests round up to 512 bytes. Small ones (≤ 1 MiB) are carved out of 2 MiB segments; large ones get a
/// segment of their size rounded up to 2 MiB (the driver's own granularity), whose tail stays cached.</item>
/// <item>A request takes the smallest cached block that fits (best fit) and splits off the remainder when it is
/// worth keeping: at least 512 bytes in the small pool, more than 1 MiB in the large pool.</item>
/// <item>A freed block goes back to its pool at once, merged with free neighbours in its segment; nothing is
/// returned to the driver on the hot path. Every kernel runs on the context's one stream, so memory freed on the
/// host and reused by the next operation is ordered after its last use without synchronising.</item>
/// <item>When the driver is out of memory, the allocator releases every wholly free segment and tries once more;
/// if that fails it throws <see cref="CudaOutOfMemoryException"/> with the request and the device's free/total.</item>
/// </list>
/// Thread-safe (one lock).</summary>
internal sealed class CudaCachingAllocator : IDisposable
{
    public const long Granularity = 512;
    public const long SmallRequestLimit = 1L << 20;
    public const long SmallSegmentSize = 2L << 20;
    public const long LargeSegmentGranularity = 2L << 20;

    readonly IDeviceMemory memory;
    readonly SortedSet<DeviceBlock> smallPool = new(BySizeThenAddress.Instance);
    readonly SortedSet<DeviceBlock> largePool = new(BySizeThenAddress.Instance);
    readonly Lock gate = new();
    long allocated, reserved, peakAllocated, peakReserved, deviceAllocations, deviceFrees;
    int activeBlocks;
    bool disposed;

    public CudaCachingAllocator(IDeviceMemory memory) => this.memory = memory;

    /// <summary>The block size a request of <paramref name="bytes"/> gets: a multiple of 512, at least 512.</summary>
    public static long RoundSize(long bytes) => Math.Max(Granularity, RoundUp(bytes, Granularity));

    /// <summary>The cuMemAlloc size for a new segment holding a block of <paramref name="size"/> (already rounded).</summary>
    public static long SegmentSize(long size) => size <= SmallRequestLimit ? SmallSegmentSize : RoundUp(size, LargeSegmentGranularity);

    public AllocatorStatistics Statistics
    {
        get
        {
            lock (gate) return new(allocated, reserved, peakAllocated, peakReserved, activeBlocks, deviceAllocations, deviceFrees);
        }
    }

    /// <summary>A block of at least <paramref name="bytes"/> bytes, 512-byte aligned.</summary>
    /// <exception cref="CudaOutOfMemoryException">The device has no room even with the cache released.</exception>
    public DeviceBlock Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        long size = RoundSize(bytes);
        bool small = size <= SmallRequestLimit;
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var pool = small ? smallPool : largePool;
            var block = BestFit(pool, size);
            if (block != null) pool.Remove(block);
            else block = NewSegment(bytes, size, small);

            long remainder = block.Size - size;
            if (remainder >= (small ? Granularity : SmallRequestLimit + 1))
            {
                var rest = new DeviceBlock(this, block.Pointer + (nint)size, remainder, small) { Previous = block, Next = block.Next };
                if (block.Next != null) block.Next.Previous = rest;
                block.Next = rest;
                block.Size = size;
                pool.Add(rest);
            }
            var handedOut = Replace(block);
            handedOut.Allocated = true;
            allocated += handedOut.Size;
            peakAllocated = Math.Max(peakAllocated, allocated);
            activeBlocks++;
            return handedOut;
        }
    }

    /// <summary>Blocks freed while a CUDA graph is being captured: the graph keeps using their addresses at every
    /// replay, so they stay out of the cache until the graph is disposed (null when no capture runs).</summary>
    HashSet<DeviceBlock>? heldFrees;

    /// <summary>From now on freed blocks are held, not cached (see <see cref="ReleaseHeldFrees"/>).</summary>
    public void HoldFrees()
    {
        lock (gate) heldFrees ??= [];
    }

    /// <summary>Stops holding frees and hands over the blocks held since <see cref="HoldFrees"/>; the caller frees them
    /// later with <see cref="Free"/>.</summary>
    public IReadOnlyList<DeviceBlock> StopHoldingFrees()
    {
        lock (gate)
        {
            var held = heldFrees?.ToArray() ?? [];
            heldFrees = null;
            return held;
        }
    }

    /// <summary>Returns a block to the cache (merged with free neighbours). The memory stays reserved.</summary>
    public void Free(DeviceBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        if (block.Owner != this) throw new ArgumentException("the block belongs to another allocator", nameof(block));
        lock (gate)
        {
            if (!block.Allocated) throw new InvalidOperationException($"device block at 0x{block.Pointer:x} freed twice");
            if (heldFrees != null)
            {
                if (!heldFrees.Add(block)) throw new InvalidOperationException($"device block at 0x{block.Pointer:x} freed twice");
                return;
            }
            block.Allocated = false;
            allocated -= block.Size;
            activeBlocks--;
            if (disposed) return;
            var pool = block.Small ? smallPool : largePool;
            var merged = block;
            if (merged.Previous is { Allocated: false } previous)
            {
                pool.Remove(previous);
                previous.Size += merged.Size;
                Unlink(merged, previous);
                merged = previous;
            }
            if (merged.Next is { Allocated: false } next)
            {
                pool.Remove(next);
                merged.Size += next.Size;
                Unlink(next, merged);
            }
            pool.Add(merged);
        }
    }

    /// <summary>Returns every wholly free segment to the driver (as PyTorch's empty_cache). Blocks in use, and free
    /// blocks sharing a segment with one, stay.</summary>
    public void EmptyCache()
    {
        lock (gate) ReleaseFreeSegments();
    }

    /// <summary>Releases the cache. Blocks still allocated stay valid until their context goes.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            ReleaseFreeSegments();
            disposed = true;
        }
    }

    DeviceBlock? BestFit(SortedSet<DeviceBlock> pool, long size)
    {
        if (pool.Count == 0 || pool.Max!.Size < size) return null;
        var view = pool.GetViewBetween(new DeviceBlock(this, nint.MinValue, size, false), pool.Max);
        return view.Min;
    }

    DeviceBlock NewSegment(long requested, long size, bool small)
    {
        long segment = SegmentSize(size);
        if (!memory.TryAllocate(segment, out var pointer))
        {
            ReleaseFreeSegments();
            if (!memory.TryAllocate(segment, out pointer))
            {
                var (free, total) = memory.MemoryInfo();
                throw new CudaOutOfMemoryException(requested, free, total,
                    new(allocated, reserved, peakAllocated, peakReserved, activeBlocks, deviceAllocations, deviceFrees));
            }
        }
        deviceAllocations++;
        reserved += segment;
        peakReserved = Math.Max(peakReserved, reserved);
        return new DeviceBlock(this, pointer, segment, small);
    }

    void ReleaseFreeSegments()
    {
        foreach (var pool in (SortedSet<DeviceBlock>[])[smallPool, largePool])
        {
            var segments = pool.Where(b => b.IsWholeSegment).ToList();
            foreach (var segment in segments)
            {
                pool.Remove(segment);
                memory.Free(segment.Pointer);
                reserved -= segment.Size;
                deviceFrees++;
            }
        }
    }

    /// <summary>A new object for the block's range in its place in the segment list, so the object handed out is
    /// never one that was cached (see <see cref="DeviceBlock"/>).</summary>
    DeviceBlock Replace(DeviceBlock block)
    {
        var fresh = new DeviceBlock(this, block.Pointer, block.Size, block.Small) { Previous = block.Previous, Next = block.Next };
        if (block.Previous != null) block.Previous.Next = fresh;
        if (block.Next != null) block.Next.Previous = fresh;
        block.Previous = block.Next = null;
        return fresh;
    }

    /// <summary>Removes <paramref name="block"/> (just absorbed into its predecessor <paramref name="into"/>) from the list.</summary>
    static void Unlink(DeviceBlock block, DeviceBlock into)
    {
        into.Next = block.Next;
        if (block.Next != null) block.Next.Previous = into;
        block.Previous = block.Next = null;
    }

    static long RoundUp(long value, long multiple) => (value + multiple - 1) / multiple * multiple;

    sealed class BySizeThenAddress : IComparer<DeviceBlock>
    {
        public static readonly BySizeThenAddress Instance = new();

        public int Compare(DeviceBlock? a, DeviceBlock? b) =>
            a!.Size != b!.Size ? a.Size.CompareTo(b.Size) : a.Pointer.CompareTo(b.Pointer);
    }
}

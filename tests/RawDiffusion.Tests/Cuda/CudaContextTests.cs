using RawDiffusion.Cuda;
using RawDiffusion.Cuda.Kernels;
using RawDiffusion.Cuda.Native;

namespace RawDiffusion.Tests.Cuda;

/// <summary>Context, copies, the allocator on a real device, module loading, cuRAND. Skipped without a GPU.</summary>
[Collection(CudaDeviceCollection.Name)]
public class CudaContextTests(CudaDeviceFixture fixture)
{
    [Fact]
    public void TheContextDescribesItsDevice()
    {
        var context = fixture.Require().Context;
        Assert.False(string.IsNullOrWhiteSpace(context.DeviceName));
        Assert.True(context.ComputeCapability.Major >= 5, context.ToString());
        Assert.True(context.MultiprocessorCount > 0);
        Assert.True(context.MaxThreadsPerBlock >= 1024);
        Assert.True(context.DriverVersion >= 11020);
        var (free, total) = context.MemoryInfo();
        Assert.InRange(free, 1, total);
        Assert.InRange(total, context.TotalMemory / 2, context.TotalMemory);
        Assert.Contains(context.DeviceName, context.ToString());
        Assert.True(CudaContext.DeviceCount() >= 1);
    }

    [Fact]
    public unsafe void MemoryRoundTripsThroughEveryCopyPath()
    {
        var device = fixture.Require();
        var context = device.Context;
        var data = Enumerable.Range(0, 10_001).Select(i => (float)Math.Sin(i)).ToArray();
        var a = DeviceArrays.Upload(device, data);
        var b = DeviceArrays.Allocate<float>(device, data.Length);
        context.CopyDeviceToDevice(b.Pointer, a.Pointer, data.Length * sizeof(float));
        Assert.Equal(data, DeviceArrays.Download<float>(device, b.Pointer, data.Length));

        // The synchronous driver copies and memset, after the stream is idle.
        context.Synchronize();
        var back = new float[data.Length];
        fixed (float* s = data) CudaDriver.Check(CudaDriver.cuMemcpyHtoD_v2(b.Pointer, s, (nuint)(data.Length * sizeof(float))));
        CudaDriver.Check(CudaDriver.cuMemcpyDtoD_v2(a.Pointer, b.Pointer, (nuint)(data.Length * sizeof(float))));
        fixed (float* d = back) CudaDriver.Check(CudaDriver.cuMemcpyDtoH_v2(d, a.Pointer, (nuint)(data.Length * sizeof(float))));
        Assert.Equal(data, back);
        CudaDriver.Check(CudaDriver.cuMemsetD32_v2(a.Pointer, BitConverter.SingleToUInt32Bits(2.5f), 100));
        // Device-side memsets are asynchronous even in their "synchronous" form, and the context's stream does not
        // wait for the legacy default stream.
        CudaDriver.Check(CudaDriver.cuCtxSynchronize());
        context.SetWords(a.Pointer + 400, BitConverter.SingleToUInt32Bits(-1f), 10);
        var set = DeviceArrays.Download<float>(device, a.Pointer, 120);
        Assert.All(set[..100], v => Assert.Equal(2.5f, v));
        Assert.All(set[100..110], v => Assert.Equal(-1f, v));
        Assert.Equal(data[110..120], set[110..]);
        device.Allocator.Free(a);
        device.Allocator.Free(b);
    }

    [Fact]
    public void TheAllocatorReusesDeviceMemoryAndReleasesItsCache()
    {
        var allocator = fixture.Require().Allocator;
        var before = allocator.Statistics;
        for (int i = 0; i < 50; i++)
        {
            var small = allocator.Allocate(1000 + i);
            var large = allocator.Allocate(64 << 20);
            allocator.Free(large);
            allocator.Free(small);
        }
        var after = allocator.Statistics;
        Assert.True(after.DeviceAllocations - before.DeviceAllocations <= 2, after.ToString());
        allocator.EmptyCache();
        Assert.True(allocator.Statistics.ReservedBytes <= after.ReservedBytes - (64 << 20), allocator.Statistics.ToString());
    }

    [Fact]
    public void AnImpossibleAllocationReportsTheDeviceMemory()
    {
        var device = fixture.Require();
        var e = Assert.Throws<RawDiffusion.Cuda.Memory.CudaOutOfMemoryException>(() => device.Allocator.Allocate(device.Context.TotalMemory * 2));
        Assert.Equal(device.Context.TotalMemory * 2, e.RequestedBytes);
        Assert.InRange(e.FreeBytes, 0, e.TotalBytes);
        Assert.Contains("CUDA_ERROR_OUT_OF_MEMORY", e.Message);
    }

    [Fact]
    public void EveryCataloguedKernelLoads()
    {
        var device = fixture.Require();
        foreach (var file in KernelCatalog.All) device.Modules.Load(file);
        foreach (var kernel in KernelCatalog.All.SelectMany(f => f.Kernels)) Assert.NotEqual(0, device.Modules.GetFunction(kernel));
        if (device.Context.ComputeCapability == new ComputeCapability(9, 0))
            Assert.All(device.Modules.Loaded, k => Assert.Equal(KernelImageKind.Cubin, k.Kind));
    }

    [Fact]
    public void CurandFillsOddLengthsAndTimersMeasureTheStream()
    {
        var device = fixture.Require();
        var context = device.Context;
        var block = DeviceArrays.Allocate<double>(device, 100_001);
        using var timer = new CudaTimer(context);
        timer.Start();
        context.Random.Reset(1234);
        context.Random.Normal(DType.Float64, block.Pointer, 100_001, 2, 3);
        Assert.True(timer.StopMilliseconds() >= 0);
        var normal = DeviceArrays.Download<double>(device, block.Pointer, 100_001);
        Assert.All(normal, v => Assert.True(double.IsFinite(v)));
        Assert.InRange(normal.Average(), 1.95, 2.05);
        Assert.InRange(Math.Sqrt(normal.Select(v => (v - 2) * (v - 2)).Average()), 2.95, 3.05);
        Assert.NotEqual(normal[^2], normal[^1]);

        context.Random.Uniform(DType.Float32, block.Pointer, 1001);
        var uniform = DeviceArrays.Download<float>(device, block.Pointer, 1001);
        Assert.All(uniform, v => Assert.InRange(v, float.Epsilon, 1f));
        context.Random.Normal(DType.Float32, block.Pointer, 1, 0, 1);
        Assert.True(float.IsFinite(DeviceArrays.Download<float>(device, block.Pointer, 1)[0]));
        device.Allocator.Free(block);
    }

    [Fact]
    public void Tf32CanBeSwitchedOnAndOff()
    {
        var context = fixture.Require().Context;
        context.AllowTf32 = true;
        Assert.True(context.AllowTf32);
        context.AllowTf32 = false;
        Assert.False(context.AllowTf32);
    }
}

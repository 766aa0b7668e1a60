using RawDiffusion.Cuda.Native;

namespace RawDiffusion.Cuda.Memory;

/// <summary>The raw device allocation calls under <see cref="CudaCachingAllocator"/>, behind an interface so the
/// allocator's bookkeeping is tested without a GPU.</summary>
internal interface IDeviceMemory
{
    /// <summary>Allocates <paramref name="bytes"/>; false when the device is out of memory, an exception for any other failure.</summary>
    bool TryAllocate(long bytes, out nint pointer);

    void Free(nint pointer);

    /// <summary>Free and total device memory in bytes.</summary>
    (long Free, long Total) MemoryInfo();
}

/// <summary>cuMemAlloc / cuMemFree on one context.</summary>
internal sealed class DriverDeviceMemory(CudaContext context) : IDeviceMemory
{
    public bool TryAllocate(long bytes, out nint pointer)
    {
        context.MakeCurrent();
        var result = CudaDriver.cuMemAlloc_v2(out pointer, (nuint)bytes);
        if (result == CUresult.CUDA_ERROR_OUT_OF_MEMORY) return false;
        CudaDriver.Check(result, nameof(CudaDriver.cuMemAlloc_v2));
        return true;
    }

    /// <summary>Waits for the stream first: cached blocks are handed out again without synchronisation (the one
    /// stream orders their uses), but memory going back to the driver must be idle.</summary>
    public void Free(nint pointer)
    {
        context.Synchronize();
        CudaDriver.Check(CudaDriver.cuMemFree_v2(pointer));
    }

    public (long Free, long Total) MemoryInfo() => context.MemoryInfo();
}

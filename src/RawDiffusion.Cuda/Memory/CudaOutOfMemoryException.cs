namespace RawDiffusion.Cuda.Memory;

/// <summary>The device could not provide memory even after the allocator returned its whole cache to the driver.</summary>
public sealed class CudaOutOfMemoryException(long requestedBytes, long freeBytes, long totalBytes, AllocatorStatistics statistics)
    : CudaException("CUDA driver", "cuMemAlloc_v2", 2, "CUDA_ERROR_OUT_OF_MEMORY",
        $"could not allocate {requestedBytes} bytes ({Mib(requestedBytes)}); the device has {Mib(freeBytes)} free of " +
        $"{Mib(totalBytes)}; this allocator holds {statistics}")
{
    public long RequestedBytes { get; } = requestedBytes;
    public long FreeBytes { get; } = freeBytes;
    public long TotalBytes { get; } = totalBytes;
    public AllocatorStatistics Statistics { get; } = statistics;

    static string Mib(long bytes) => $"{bytes / (1024.0 * 1024):F1} MiB";
}

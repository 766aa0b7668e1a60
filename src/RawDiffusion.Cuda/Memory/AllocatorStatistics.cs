namespace RawDiffusion.Cuda.Memory;

/// <summary>A snapshot of a <see cref="CudaCachingAllocator"/>. Allocated bytes count whole blocks (requests rounded
/// up); reserved bytes are what the driver has handed out; the difference is the cache.</summary>
public readonly record struct AllocatorStatistics(
    long AllocatedBytes,
    long ReservedBytes,
    long PeakAllocatedBytes,
    long PeakReservedBytes,
    int ActiveBlocks,
    long DeviceAllocations,
    long DeviceFrees)
{
    /// <summary>Reserved but not allocated: free blocks kept for reuse.</summary>
    public long CachedBytes => ReservedBytes - AllocatedBytes;

    public override string ToString() =>
        $"allocated {Mib(AllocatedBytes)} in {ActiveBlocks} blocks (peak {Mib(PeakAllocatedBytes)}), reserved {Mib(ReservedBytes)} " +
        $"(peak {Mib(PeakReservedBytes)}), cached {Mib(CachedBytes)}, {DeviceAllocations} cuMemAlloc / {DeviceFrees} cuMemFree calls";

    static string Mib(long bytes) => $"{bytes / (1024.0 * 1024):F1} MiB";
}

using RawDiffusion.Cuda.Memory;

namespace RawDiffusion.Tests.Cuda;

/// <summary>A pretend device for allocator tests: hands out addresses from a counter, refuses allocations beyond a
/// capacity (as cuMemAlloc's CUDA_ERROR_OUT_OF_MEMORY), and records every call.</summary>
internal sealed class FakeDeviceMemory(long capacity) : IDeviceMemory
{
    readonly Dictionary<nint, long> live = [];
    nint next = unchecked((nint)0x7000_0000_0000L);

    public List<long> Allocations { get; } = [];
    public List<nint> Frees { get; } = [];
    public int RefusedAllocations { get; private set; }
    public long InUse => live.Values.Sum();

    public bool TryAllocate(long bytes, out nint pointer)
    {
        if (InUse + bytes > capacity)
        {
            RefusedAllocations++;
            pointer = 0;
            return false;
        }
        pointer = next;
        next += (nint)bytes + 0x10_0000;
        live[pointer] = bytes;
        Allocations.Add(bytes);
        return true;
    }

    public void Free(nint pointer)
    {
        if (!live.Remove(pointer)) throw new InvalidOperationException($"fake device: 0x{pointer:x} is not a live allocation");
        Frees.Add(pointer);
    }

    public (long Free, long Total) MemoryInfo() => (capacity - InUse, capacity);
}

namespace RawDiffusion.Cuda.Memory;

/// <summary>A range of device memory inside one cuMemAlloc segment, as the caching allocator tracks it. Blocks of a
/// segment form a doubly linked list in address order, so a freed block merges with free neighbours. A block handed
/// out by <see cref="CudaCachingAllocator.Allocate"/> is a fresh object that is never handed out again, so a second
/// Free of it is detected.</summary>
internal sealed class DeviceBlock
{
    internal DeviceBlock(CudaCachingAllocator owner, nint pointer, long size, bool small)
    {
        Owner = owner;
        Pointer = pointer;
        Size = size;
        Small = small;
    }

    internal CudaCachingAllocator Owner { get; }

    /// <summary>Device address of the first byte.</summary>
    public nint Pointer { get; internal set; }

    /// <summary>Bytes in the block: the request rounded up, sometimes more when the remainder was too small to split off.</summary>
    public long Size { get; internal set; }

    /// <summary>From the small pool (2 MiB segments of 512-byte-granular blocks) or the large pool.</summary>
    internal bool Small { get; }

    internal bool Allocated { get; set; }
    internal DeviceBlock? Previous { get; set; }
    internal DeviceBlock? Next { get; set; }

    /// <summary>Alone in its segment: the whole cuMemAlloc range.</summary>
    internal bool IsWholeSegment => Previous == null && Next == null;
}

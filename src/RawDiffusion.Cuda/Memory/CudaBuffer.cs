using RawDiffusion.Backends;

namespace RawDiffusion.Cuda.Memory;

/// <summary>Device memory of one tensor storage: a block from the caching allocator, returned to it (not to the
/// driver) by Dispose. No finalizer: like every DeviceBuffer, it is freed deterministically through Storage's
/// reference count, never by the garbage collector.</summary>
internal sealed class CudaBuffer : DeviceBuffer
{
    readonly IBackend backend;
    readonly CudaCachingAllocator allocator;
    DeviceBlock? block;

    public CudaBuffer(IBackend backend, CudaCachingAllocator allocator, DType dtype, long length) : base(dtype, length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        this.backend = backend;
        this.allocator = allocator;
        block = allocator.Allocate(checked(length * dtype.SizeOf()));
    }

    public override IBackend Backend => backend;

    /// <summary>Device address of element 0.</summary>
    public nint Pointer => (block ?? throw new ObjectDisposedException(nameof(CudaBuffer))).Pointer;

    /// <summary>Device address of element <paramref name="offset"/>.</summary>
    public nint PointerAt(long offset) => Pointer + (nint)(offset * DType.SizeOf());

    public long ByteLength => Length * DType.SizeOf();

    public override void Dispose()
    {
        var released = Interlocked.Exchange(ref block, null);
        if (released != null) allocator.Free(released);
    }
}

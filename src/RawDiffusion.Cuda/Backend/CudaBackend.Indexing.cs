using RawDiffusion.Backends;

namespace RawDiffusion.Cuda;

/// <summary>Gather and scatter-add along one axis. Index ranges are checked by <see cref="FindIndexOutOfRange"/>
/// before the other primitives run, as on every backend; the adds accumulate repeated indices with atomics.</summary>
public sealed partial class CudaBackend
{
    /// <summary>Waits for the kernel to learn the answer.</summary>
    public long FindIndexOutOfRange(DeviceBuffer indices, long offset, long count, int limit) =>
        Primitives.FindIndexOutOfRange(At(indices, offset, count, DType.Int32), count, limit);

    public void IndexSelect(DeviceBuffer source, long sourceOffset, DeviceBuffer index, long indexOffset,
                            DeviceBuffer destination, long destinationOffset, int outer, int n, int k, int inner)
    {
        var dtype = source.DType;
        Primitives.IndexSelect(dtype, At(source, sourceOffset, (long)outer * n * inner, dtype), At(index, indexOffset, k, DType.Int32),
            At(destination, destinationOffset, (long)outer * k * inner, dtype), outer, n, k, inner);
    }

    public void IndexAdd(DeviceBuffer source, long sourceOffset, DeviceBuffer index, long indexOffset,
                         DeviceBuffer destination, long destinationOffset, int outer, int n, int k, int inner)
    {
        var dtype = FloatingDType(source, nameof(IndexAdd));
        Primitives.IndexAdd(dtype, At(source, sourceOffset, (long)outer * k * inner, dtype), At(index, indexOffset, k, DType.Int32),
            At(destination, destinationOffset, (long)outer * n * inner, dtype), outer, n, k, inner);
    }

    public void Gather(DeviceBuffer source, long sourceOffset, DeviceBuffer index, long indexOffset,
                       DeviceBuffer destination, long destinationOffset, int outer, int n, int k, int inner)
    {
        var dtype = source.DType;
        long selected = (long)outer * k * inner;
        Primitives.Gather(dtype, At(source, sourceOffset, (long)outer * n * inner, dtype), At(index, indexOffset, selected, DType.Int32),
            At(destination, destinationOffset, selected, dtype), outer, n, k, inner);
    }

    public void ScatterAdd(DeviceBuffer source, long sourceOffset, DeviceBuffer index, long indexOffset,
                           DeviceBuffer destination, long destinationOffset, int outer, int n, int k, int inner)
    {
        var dtype = FloatingDType(source, nameof(ScatterAdd));
        long scattered = (long)outer * k * inner;
        Primitives.ScatterAdd(dtype, At(source, sourceOffset, scattered, dtype), At(index, indexOffset, scattered, DType.Int32),
            At(destination, destinationOffset, (long)outer * n * inner, dtype), outer, n, k, inner);
    }
}

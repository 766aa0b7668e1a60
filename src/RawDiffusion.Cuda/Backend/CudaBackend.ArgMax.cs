using RawDiffusion.Backends;

namespace RawDiffusion.Cuda;

public sealed partial class CudaBackend
{
    public void ArgMax(DeviceBuffer x, long xOffset, DeviceBuffer indices, long indicesOffset, int outer, int n, int inner)
    {
        if (indices.DType != DType.Int32) throw new ArgumentException($"ArgMax writes Int32 indices, not {indices.DType}", nameof(indices));
        var dtype = FloatingDType(x, nameof(ArgMax));
        long outputs = (long)outer * inner;
        Primitives.ArgMax(dtype, At(x, xOffset, outputs * n, dtype), At(indices, indicesOffset, outputs, DType.Int32), outer, n, inner);
    }
}

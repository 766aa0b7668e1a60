using RawDiffusion.Backends;
using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Cuda;

/// <summary>Index of the largest element along the middle axis (kernels/argmax.cu).</summary>
public sealed partial class CudaBackend
{
    public void ArgMax(DeviceBuffer x, long xOffset, DeviceBuffer indices, long indicesOffset, int outer, int n, int inner)
    {
        if (indices.DType != DType.Int32) throw new ArgumentException($"ArgMax writes Int32 indices, not {indices.DType}", nameof(indices));
        var dtype = FloatingDType(x, nameof(ArgMax));
        long outputs = (long)outer * inner;
        ArgMax(dtype, At(x, xOffset, outputs * n, dtype), At(indices, indicesOffset, outputs, DType.Int32), outer, n, inner);
    }

    /// <summary>Int32 indices [outer, inner] of the maxima of x [outer, n, inner] (n &gt; 0); first index among ties,
    /// the first NaN wins.</summary>
    public void ArgMax(DType dtype, nint x, nint indices, int outer, int n, int inner)
    {
        RequireFloating(dtype, nameof(ArgMax));
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "ArgMax needs a non-empty axis");
        ArgumentOutOfRangeException.ThrowIfNegative(outer);
        ArgumentOutOfRangeException.ThrowIfNegative(inner);
        long outputs = (long)outer * inner;
        if (outputs == 0) return;
        var arguments = new KernelArguments();
        arguments.Add(x);
        arguments.Add(indices);
        arguments.Add(outer);
        arguments.Add(n);
        if (inner == 1)
        {
            launcher.Launch(Typed("argmax_rows", dtype), RowTiles(outer, n), ref arguments);
            return;
        }
        arguments.Add(inner);
        launcher.Launch(Typed("argmax_columns", dtype), launcher.Linear(outputs), ref arguments);
    }
}

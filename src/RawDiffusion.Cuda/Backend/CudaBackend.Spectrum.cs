using RawDiffusion.Backends;

namespace RawDiffusion.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>
    /// One-sided Jacobi on the device: <paramref name="vectors"/> holds batch × count float64 vectors of
    /// <paramref name="length"/> (laid out by RawDiffusion.Spectrum.JacobiSingularValues.Arrange) and is overwritten;
    /// <paramref name="values"/> receives batch × count singular values, unsorted within each matrix.
    /// </summary>
    public void JacobiSingularValues(DeviceBuffer vectors, DeviceBuffer values, int batch, int length, int count)
    {
        if (vectors.DType != DType.Float64 || values.DType != DType.Float64)
        {
            throw new ArgumentException("JacobiSingularValues works in Float64");
        }
        long total = (long)batch * count;
        Primitives.JacobiSingularValues(At(vectors, 0, total * length, DType.Float64), At(values, 0, total, DType.Float64), batch, length, count,
            RawDiffusion.Spectrum.JacobiSingularValues.MaxSweeps, RawDiffusion.Spectrum.JacobiSingularValues.Tolerance);
    }
}

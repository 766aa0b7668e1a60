using RawDiffusion.Backends;
using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Cuda;

/// <summary>Batched one-sided Jacobi singular values (kernels/spectrum.cu).</summary>
public sealed partial class CudaBackend
{
    /// <summary>Threads per block of jacobi_singular_values_f64 (its JACOBI_THREADS).</summary>
    public const int JacobiThreads = 128;

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
        JacobiSingularValues(At(vectors, 0, total * length, DType.Float64), At(values, 0, total, DType.Float64), batch, length, count,
            RawDiffusion.Spectrum.JacobiSingularValues.MaxSweeps, RawDiffusion.Spectrum.JacobiSingularValues.Tolerance);
    }

    /// <summary>Rotates each of <paramref name="batch"/> groups of <paramref name="count"/> float64 vectors of
    /// <paramref name="length"/> until orthogonal and writes their norms (batch × count, unsorted) to <paramref name="values"/>.</summary>
    public void JacobiSingularValues(nint vectors, nint values, int batch, int length, int count, int maxSweeps, double tolerance)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (batch == 0 || count == 0) return;
        var arguments = new KernelArguments();
        arguments.Add(vectors);
        arguments.Add(values);
        arguments.Add(length);
        arguments.Add(count);
        arguments.Add(maxSweeps);
        arguments.Add(tolerance);
        launcher.Launch("jacobi_singular_values_f64", new LaunchConfig(new Dim3((uint)batch), new Dim3(JacobiThreads)), ref arguments);
    }
}

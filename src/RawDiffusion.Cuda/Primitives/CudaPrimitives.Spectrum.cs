using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Cuda.Primitives;

/// <summary>Batched one-sided Jacobi singular values (kernels/spectrum.cu).</summary>
internal sealed partial class CudaPrimitives
{
    /// <summary>Threads per block of jacobi_singular_values_f64 (its JACOBI_THREADS).</summary>
    public const int JacobiThreads = 128;

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

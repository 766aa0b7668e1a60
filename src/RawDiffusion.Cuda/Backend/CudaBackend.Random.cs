using RawDiffusion.Backends;
using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Cuda;

/// <summary>Philox4x32-10 fills with the CPU backend's counter scheme (kernels/random.cu): the same (seed, counter)
/// gives the same numbers on both backends.</summary>
public sealed partial class CudaBackend
{
    public void FillRandom(RandomDistribution distribution, DeviceBuffer destination, long offset, long length, ulong seed, ulong counter, double a, double b)
    {
        var dtype = FloatingDType(destination, nameof(FillRandom));
        FillRandom(distribution, dtype, At(destination, offset, length, dtype), length, seed, counter, a, b);
    }

    /// <summary>Fills <paramref name="length"/> contiguous elements at <paramref name="destination"/>: uniform on [a, b)
    /// or normal with mean a and standard deviation b.</summary>
    public void FillRandom(RandomDistribution distribution, DType dtype, nint destination, long length, ulong seed, ulong counter, double a, double b)
    {
        RequireFloating(dtype, nameof(FillRandom));
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length == 0) return;
        var arguments = new KernelArguments();
        arguments.Add(destination);
        arguments.Add(length);
        arguments.Add(seed);
        arguments.Add(counter);
        arguments.Add(a);
        arguments.Add(b);
        var kernel = Typed(distribution == RandomDistribution.Uniform ? "philox_uniform" : "philox_normal", dtype);
        launcher.Launch(kernel, launcher.Linear((length + 3) / 4), ref arguments);
    }
}

using RawDiffusion.Cuda.Native;
using static RawDiffusion.Cuda.Native.Curand;

namespace RawDiffusion.Cuda;

/// <summary>A cuRAND Philox4x32-10 generator bound to the context's stream. Note that the engine's own random fills
/// (IBackend.FillRandom) use the Philox kernels in kernels/random.cu, which follow the CPU backend's counter scheme
/// so both backends draw the same numbers; cuRAND's stream layout differs, so this generator serves callers that
/// want fast device-side noise without that guarantee.</summary>
internal sealed unsafe class CurandGenerator : IDisposable
{
    readonly nint handle;
    readonly nint stream;
    nint oddTail;

    public CurandGenerator(nint stream)
    {
        this.stream = stream;
        Check(curandCreateGenerator(out handle, curandRngType_t.CURAND_RNG_PSEUDO_PHILOX4_32_10));
        Check(curandSetStream(handle, stream));
    }

    /// <summary>Restarts the sequence at (seed, offset); offset counts generated values.</summary>
    public void Reset(ulong seed, ulong offset = 0)
    {
        Check(curandSetPseudoRandomGeneratorSeed(handle, seed));
        Check(curandSetGeneratorOffset(handle, offset));
    }

    /// <summary>Uniform on (0, 1].</summary>
    public void Uniform(DType dtype, nint destination, long count)
    {
        if (count == 0) return;
        if (dtype == DType.Float32) Check(curandGenerateUniform(handle, destination, (nuint)count));
        else Check(curandGenerateUniformDouble(handle, destination, (nuint)RequireFloat64(dtype, count)));
    }

    /// <summary>Normal with the given mean and standard deviation. cuRAND's pseudo-random normal generators only
    /// produce even counts (Box–Muller pairs): for an odd count the last value comes from a generated pair in a
    /// two-element scratch buffer.</summary>
    public void Normal(DType dtype, nint destination, long count, double mean, double std)
    {
        if (count == 0) return;
        int size = dtype.SizeOf();
        long even = count & ~1L;
        if (even > 0) GenerateNormal(dtype, destination, even, mean, std);
        if (even == count) return;
        if (oddTail == 0) CudaDriver.Check(CudaDriver.cuMemAlloc_v2(out oddTail, 2 * sizeof(double)));
        GenerateNormal(dtype, oddTail, 2, mean, std);
        CudaDriver.Check(CudaDriver.cuMemcpyDtoDAsync_v2(destination + (nint)(even * size), oddTail, (nuint)size, stream));
    }

    void GenerateNormal(DType dtype, nint destination, long count, double mean, double std)
    {
        if (dtype == DType.Float32) Check(curandGenerateNormal(handle, destination, (nuint)count, (float)mean, (float)std));
        else Check(curandGenerateNormalDouble(handle, destination, (nuint)RequireFloat64(dtype, count), mean, std));
    }

    static long RequireFloat64(DType dtype, long count) =>
        dtype == DType.Float64 ? count : throw new ArgumentException($"cuRAND fills Float32 or Float64 buffers, not {dtype}", nameof(dtype));

    /// <summary>Called by the context with itself current, after synchronising its stream.</summary>
    public void Dispose()
    {
        if (oddTail != 0) CudaDriver.Check(CudaDriver.cuMemFree_v2(oddTail));
        oddTail = 0;
        Check(curandDestroyGenerator(handle));
    }
}

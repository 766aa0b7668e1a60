namespace RawDiffusion.Tests.Cuda;

/// <summary>Error bounds for comparing the CUDA backend with the CPU backend. The backends round differently (the GPU
/// fuses multiply-adds, sums in other orders and uses CUDA's exp/log), so results agree to a few units in the last
/// place of the element type, relative to the values compared and, for sums, to the magnitude of their terms.</summary>
internal static class BackendTolerance
{
    /// <summary>(atol, rtol) for values of magnitude about <paramref name="scale"/> that went through a handful of
    /// roundings; <paramref name="terms"/> widens the absolute part for sums of that many terms (√terms: random
    /// rounding errors of sums grow like a random walk, and the bound keeps a safety factor of 4).</summary>
    public static (double Atol, double Rtol) For(DType dtype, double scale = 1, long terms = 1)
    {
        double unit = dtype == DType.Float32 ? 6e-8 : 1.1e-16;
        double growth = 4 * Math.Sqrt(Math.Max(1, terms));
        return (16 * unit * scale * growth, 64 * unit);
    }
}

namespace RawDiffusion.Spectrum;

/// <summary>
/// Elementary reflectors H = I - tau v vᵀ with v[0] = 1 (LAPACK's dlarfg convention), the building block of every
/// reduction in the symmetric eigensolver.
/// </summary>
internal static class Householder
{
    /// <summary>
    /// Overwrites <paramref name="x"/> with v (v[0] = 1) such that H x = beta e1, and returns tau (0 when x is already
    /// a multiple of e1, so H = I).
    /// </summary>
    public static double Generate(Span<double> x, out double beta)
    {
        double alpha = x[0];
        double tail = 0;
        for (int i = 1; i < x.Length; i++)
        {
            tail += x[i] * x[i];
        }
        x[0] = 1;
        if (tail == 0)
        {
            beta = alpha;
            return 0;
        }
        beta = -Math.CopySign(Math.Sqrt(alpha * alpha + tail), alpha);
        double scale = 1 / (alpha - beta);
        for (int i = 1; i < x.Length; i++)
        {
            x[i] *= scale;
        }
        return (beta - alpha) / beta;
    }
}

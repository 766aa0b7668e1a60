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
        double tail = DenseVectors.Dot(x[1..], x[1..]);
        x[0] = 1;
        if (tail == 0)
        {
            beta = alpha;
            return 0;
        }
        beta = -Math.CopySign(Math.Sqrt(alpha * alpha + tail), alpha);
        DenseVectors.Scale(1 / (alpha - beta), x[1..]);
        return (beta - alpha) / beta;
    }
}

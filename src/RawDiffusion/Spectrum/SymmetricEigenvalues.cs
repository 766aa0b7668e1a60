using System.Runtime.CompilerServices;

namespace RawDiffusion.Spectrum;

/// <summary>
/// All eigenvalues of a real symmetric matrix in float64: reduction to a band of half-width <see cref="BandWidthFor"/>
/// by blocked Householder (GEMM-bound), band to tridiagonal by bulge chasing, implicit QL on the tridiagonal.
/// </summary>
public static class SymmetricEigenvalues
{
    /// <summary>
    /// Wider bands make the first stage's GEMMs more efficient (their inner dimension is b) and the second stage's
    /// O(b n²) chasing slower; 32 balances the two at the sizes of transformer layers.
    /// </summary>
    public static int BandWidthFor(int n) => n <= 96 ? Math.Max(1, n / 8) : 32;

    /// <summary>
    /// Eigenvalues in descending order. <paramref name="a"/> (n×n row-major, symmetric) is read in its lower triangle only, and destroyed.
    /// </summary>
    public static double[] Compute(double[] a, int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(a.LongLength, (long)n * n, nameof(a));
        if (n == 0)
        {
            return [];
        }
        // Work at unit scale so no intermediate square in the reflectors can overflow or underflow.
        double largest = ScaleToUnit(a, n);
        var diagonal = new double[n];
        if (largest == 0)
        {
            return diagonal;
        }

        int b = BandWidthFor(n);
        SymmetricBandReduction.Reduce(a, n, b);
        var subdiagonal = new double[n];
        BandToTridiagonal.Reduce(a, n, Math.Min(b, n - 1), diagonal, subdiagonal);
        TridiagonalEigenvalues.Solve(diagonal, subdiagonal, n);
        for (int i = 0; i < n; i++)
        {
            diagonal[i] *= largest;
        }
        Array.Sort(diagonal);
        Array.Reverse(diagonal);
        return diagonal;
    }

    /// <summary>Divides the lower triangle by its largest magnitude, which it returns (0 for a zero matrix, left as is).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double ScaleToUnit(double[] a, int n)
    {
        double largest = 0;
        for (long r = 0; r < n; r++)
        {
            foreach (double x in a.AsSpan((int)(r * n), (int)r + 1))
            {
                largest = Math.Max(largest, Math.Abs(x));
            }
        }
        if (largest == 0)
        {
            return 0;
        }
        double scale = 1 / largest;
        for (long r = 0; r < n; r++)
        {
            foreach (ref double x in a.AsSpan((int)(r * n), (int)r + 1))
            {
                x *= scale;
            }
        }
        return largest;
    }
}

namespace RawDiffusion.Spectrum;

/// <summary>
/// Eigenvalues of a symmetric tridiagonal matrix by the implicit QL algorithm with Wilkinson-type shifts
/// (EISPACK tql1): O(n²) work, no eigenvectors.
/// </summary>
internal static class TridiagonalEigenvalues
{
    private const int MaxIterationsPerEigenvalue = 60;

    /// <summary>
    /// <paramref name="diagonal"/> (n) is overwritten by the eigenvalues (unsorted); <paramref name="subdiagonal"/>
    /// (n, entry i couples i and i+1, the last one ignored) is destroyed.
    /// </summary>
    public static void Solve(double[] diagonal, double[] subdiagonal, int n)
    {
        double[] d = diagonal;
        double[] e = subdiagonal;
        if (n == 0)
        {
            return;
        }
        e[n - 1] = 0;
        // Besides the usual relative test, an off-diagonal entry below ε·‖T‖ counts as zero: an eigenvalue at or near
        // zero (a rank-deficient Gram matrix has many) cannot meet the relative test, and ε·‖T‖ is the accuracy the
        // reduction to tridiagonal form already limits every eigenvalue to.
        double norm = 0;
        for (int i = 0; i < n; i++)
        {
            norm = Math.Max(norm, Math.Abs(d[i]) + Math.Abs(e[i]) + (i > 0 ? Math.Abs(e[i - 1]) : 0));
        }
        double negligible = 2.3e-16 * norm;
        for (int l = 0; l < n; l++)
        {
            int iterations = 0;
            int m;
            do
            {
                for (m = l; m < n - 1; m++)
                {
                    double scale = Math.Abs(d[m]) + Math.Abs(d[m + 1]);
                    if (Math.Abs(e[m]) <= 2.3e-16 * scale || Math.Abs(e[m]) <= negligible)
                    {
                        break;
                    }
                }
                if (m == l)
                {
                    break;
                }
                if (++iterations > MaxIterationsPerEigenvalue)
                {
                    throw new ArithmeticException($"implicit QL did not converge for eigenvalue {l} of a {n}x{n} tridiagonal matrix");
                }
                double g = (d[l + 1] - d[l]) / (2 * e[l]);
                double r = Hypot(g, 1);
                g = d[m] - d[l] + e[l] / (g + Math.CopySign(r, g));
                double s = 1, c = 1, p = 0;
                int i;
                bool underflow = false;
                for (i = m - 1; i >= l; i--)
                {
                    double f = s * e[i];
                    double b = c * e[i];
                    r = Hypot(f, g);
                    e[i + 1] = r;
                    if (r == 0)
                    {
                        // The split happened inside the sweep: deflate and start again at l.
                        d[i + 1] -= p;
                        e[m] = 0;
                        underflow = true;
                        break;
                    }
                    s = f / r;
                    c = g / r;
                    g = d[i + 1] - p;
                    r = (d[i] - g) * s + 2 * c * b;
                    p = s * r;
                    d[i + 1] = g + p;
                    g = c * r - b;
                }
                if (underflow)
                {
                    continue;
                }
                d[l] -= p;
                e[l] = g;
                e[m] = 0;
            }
            while (true);
        }
    }

    private static double Hypot(double x, double y)
    {
        double ax = Math.Abs(x), ay = Math.Abs(y);
        double big = Math.Max(ax, ay), small = Math.Min(ax, ay);
        if (big == 0 || double.IsInfinity(big))
        {
            return big;
        }
        double ratio = small / big;
        return big * Math.Sqrt(1 + ratio * ratio);
    }
}

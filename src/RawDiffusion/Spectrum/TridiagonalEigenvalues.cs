using System.Runtime.CompilerServices;

namespace RawDiffusion.Spectrum;

/// <summary>
/// Eigenvalues of a symmetric tridiagonal matrix by the Pal–Walker–Kahan root-free variant of implicit QL/QR
/// (LAPACK's dsterf): it iterates on the squared off-diagonal entries, so the inner loop has one division and no
/// square root, about three times cheaper than the Givens form (EISPACK tql1). O(n²) work, no eigenvectors. Each
/// unreduced block is iterated from its end with the larger diagonal entry (QL from the top, QR from the bottom), which
/// keeps graded matrices accurate.
/// </summary>
internal static class TridiagonalEigenvalues
{
    private const int MaxIterationsPerEigenvalue = 30;

    private const double Epsilon = 1.1102230246251565e-16;

    /// <summary>
    /// <paramref name="diagonal"/> (n) is overwritten by the eigenvalues (unsorted); <paramref name="subdiagonal"/>
    /// (n, entry i couples i and i+1, the last one ignored) is destroyed. The caller works at unit scale (entries of
    /// order 1 to n), so squaring the off-diagonal entries can neither overflow nor lose ones that matter to underflow.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Solve(double[] diagonal, double[] subdiagonal, int n)
    {
        double[] d = diagonal;
        double[] e = subdiagonal;
        if (n <= 1)
        {
            return;
        }
        e[n - 1] = 0;
        // Besides the relative test, an off-diagonal entry below ε·‖T‖ counts as zero: an eigenvalue at or near zero (a
        // rank-deficient Gram matrix has many) cannot meet the relative test, and ε·‖T‖ is the accuracy the reduction
        // to tridiagonal form already limits every eigenvalue to.
        double norm = 0;
        for (int i = 0; i < n; i++)
        {
            norm = Math.Max(norm, Math.Abs(d[i]) + Math.Abs(e[i]) + (i > 0 ? Math.Abs(e[i - 1]) : 0));
        }
        double negligibleSquared = Epsilon * norm * (Epsilon * norm);
        const double epsilonSquared = Epsilon * Epsilon;
        int iterationsLeft = MaxIterationsPerEigenvalue * n;

        int start = 0;
        while (start < n)
        {
            // The next unreduced block [l, end]: split where an off-diagonal entry is negligible.
            int end;
            for (end = start; end < n - 1; end++)
            {
                double coupling = Math.Abs(e[end]);
                if (coupling <= Math.Sqrt(Math.Abs(d[end])) * Math.Sqrt(Math.Abs(d[end + 1])) * Epsilon
                    || coupling * coupling <= negligibleSquared)
                {
                    e[end] = 0;
                    break;
                }
            }
            int l = start;
            start = end + 1;
            if (end == l)
            {
                continue;
            }
            for (int i = l; i < end; i++)
            {
                e[i] *= e[i];
            }
            if (Math.Abs(d[end]) < Math.Abs(d[l]))
            {
                IterateQr(d, e, end, l, epsilonSquared, negligibleSquared, ref iterationsLeft);
            }
            else
            {
                IterateQl(d, e, l, end, epsilonSquared, negligibleSquared, ref iterationsLeft);
            }
        }
    }

    /// <summary>QL on the block [l, end] with squared off-diagonals in e: eigenvalues converge at the top, l moves down.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void IterateQl(double[] d, double[] e, int l, int end, double epsilonSquared, double negligibleSquared, ref int iterationsLeft)
    {
        while (l <= end)
        {
            int m;
            for (m = l; m < end; m++)
            {
                if (e[m] <= epsilonSquared * Math.Abs(d[m] * d[m + 1]) || e[m] <= negligibleSquared)
                {
                    break;
                }
            }
            if (m < end)
            {
                e[m] = 0;
            }
            if (m == l)
            {
                l++;
                continue;
            }
            if (m == l + 1)
            {
                (d[l], d[l + 1]) = TwoByTwo(d[l], Math.Sqrt(e[l]), d[l + 1]);
                e[l] = 0;
                l += 2;
                continue;
            }
            if (--iterationsLeft < 0)
            {
                throw new ArithmeticException($"root-free QL did not converge at eigenvalue {l} of a tridiagonal matrix");
            }
            double p = d[l];
            double rte = Math.Sqrt(e[l]);
            double sigma = (d[l + 1] - p) / (2 * rte);
            double r = Hypot(sigma, 1);
            sigma = p - rte / (sigma + Math.CopySign(r, sigma));

            double c = 1, s = 0, gamma = d[m] - sigma;
            p = gamma * gamma;
            for (int i = m - 1; i >= l; i--)
            {
                double bb = e[i];
                r = p + bb;
                if (i != m - 1)
                {
                    e[i + 1] = s * r;
                }
                double oldC = c;
                c = p / r;
                s = bb / r;
                double inverseC = r / p;
                double oldGamma = gamma;
                double alpha = d[i];
                gamma = c * (alpha - sigma) - s * oldGamma;
                d[i + 1] = oldGamma + (alpha - gamma);
                p = NextP(gamma, c, inverseC, oldC, bb);
            }
            e[l] = s * p;
            d[l] = sigma + gamma;
        }
    }

    /// <summary>QR on the block [end, l] (l the bottom): eigenvalues converge at the bottom, l moves up.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void IterateQr(double[] d, double[] e, int l, int end, double epsilonSquared, double negligibleSquared, ref int iterationsLeft)
    {
        while (l >= end)
        {
            int m;
            for (m = l; m > end; m--)
            {
                if (e[m - 1] <= epsilonSquared * Math.Abs(d[m] * d[m - 1]) || e[m - 1] <= negligibleSquared)
                {
                    break;
                }
            }
            if (m > end)
            {
                e[m - 1] = 0;
            }
            if (m == l)
            {
                l--;
                continue;
            }
            if (m == l - 1)
            {
                (d[l], d[l - 1]) = TwoByTwo(d[l], Math.Sqrt(e[l - 1]), d[l - 1]);
                e[l - 1] = 0;
                l -= 2;
                continue;
            }
            if (--iterationsLeft < 0)
            {
                throw new ArithmeticException($"root-free QR did not converge at eigenvalue {l} of a tridiagonal matrix");
            }
            double p = d[l];
            double rte = Math.Sqrt(e[l - 1]);
            double sigma = (d[l - 1] - p) / (2 * rte);
            double r = Hypot(sigma, 1);
            sigma = p - rte / (sigma + Math.CopySign(r, sigma));

            double c = 1, s = 0, gamma = d[m] - sigma;
            p = gamma * gamma;
            for (int i = m; i < l; i++)
            {
                double bb = e[i];
                r = p + bb;
                if (i != m)
                {
                    e[i - 1] = s * r;
                }
                double oldC = c;
                c = p / r;
                s = bb / r;
                double inverseC = r / p;
                double oldGamma = gamma;
                double alpha = d[i + 1];
                gamma = c * (alpha - sigma) - s * oldGamma;
                d[i] = oldGamma + (alpha - gamma);
                p = NextP(gamma, c, inverseC, oldC, bb);
            }
            e[l - 1] = s * p;
            d[l] = sigma + gamma;
        }
    }

    /// <summary>
    /// The next step's p = γ²/c, as γ²·(1/c) with 1/c = r/p divided out beside c = p/r: the chain from one step's p
    /// to the next then waits for one division instead of two (0.0135 -> 0.0107 s at n = 1024). LAPACK's
    /// p = oldC·bb when c = 0, and the division itself where r/p overflowed (p subnormal).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double NextP(double gamma, double c, double inverseC, double oldC, double bb) =>
        c == 0 ? oldC * bb : double.IsFinite(inverseC) ? gamma * gamma * inverseC : gamma * gamma / c;

    /// <summary>Eigenvalues of [[a, b], [b, c]], larger magnitude first, without cancellation (LAPACK's dlae2).</summary>
    private static (double, double) TwoByTwo(double a, double b, double c)
    {
        double sum = a + c;
        double difference = Math.Abs(a - c);
        double twoB = Math.Abs(b + b);
        double larger = Math.Abs(a) > Math.Abs(c) ? a : c;
        double smaller = Math.Abs(a) > Math.Abs(c) ? c : a;
        double root = Hypot(difference, twoB);
        if (sum == 0)
        {
            return (0.5 * root, -0.5 * root);
        }
        double first = 0.5 * (sum + Math.CopySign(root, sum));
        // The smaller one from the determinant: ac − b² = first · second.
        return (first, larger / first * smaller - b / first * b);
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

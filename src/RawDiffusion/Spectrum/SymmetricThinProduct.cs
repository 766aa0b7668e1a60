using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RawDiffusion.Spectrum;

/// <summary>
/// Y = S V for a symmetric S held in its lower triangle and a thin V (at most <see cref="MaxWidth"/> columns): the
/// product the band reduction forms for every panel. A GEMM would pack the whole of S for each product although
/// every entry of S is used for only 2·width flops; here each stored entry S[i, j] (j ≤ i) is read once from the
/// matrix and used twice, Y[i] += S[i, j] V[j] and Y[j] += S[i, j] V[i], with V and Y (nt × 32 float64, 256 KiB
/// each) staying in L2. Two rows of S at a time halve the loads and stores of Y[j].
/// </summary>
internal static unsafe class SymmetricThinProduct
{
    /// <summary>The band reduction's panel width; V and Y rows are padded to this many columns (4 AVX-512 vectors).</summary>
    public const int MaxWidth = 32;

    /// <summary>Below this many flops the product runs on one thread; splitting it costs more than it saves.</summary>
    private const double MinimumParallelFlops = 4e6;

    /// <summary>
    /// Y (nt × k, leading dimension k) = S V where S = A[r0:, r0:] (A n×n row-major, lower triangle read) and V is
    /// nt × k (leading dimension k), nt = n − r0. <paramref name="scratch"/> must come from <see cref="Scratch"/>.
    /// </summary>
    public static void Multiply(double[] a, int n, int r0, double[] v, int k, double[] y, double[][] scratch)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, MaxWidth);
        int nt = n - r0;
        double[] padded = scratch[0];
        for (int p = 0; p < nt; p++)
        {
            v.AsSpan(p * k, k).CopyTo(padded.AsSpan(p * MaxWidth));
            padded.AsSpan(p * MaxWidth + k, MaxWidth - k).Clear();
        }

        // Row i costs about i − r0 entries, so the two threads split the triangle, not the rows, in halves.
        bool parallel = 2.0 * nt * nt * k >= MinimumParallelFlops && Environment.ProcessorCount > 1;
        int middle = parallel ? r0 + (int)(nt / Math.Sqrt(2)) : n;
        if (parallel)
        {
            Parallel.Invoke(
                () => Rows(a, n, r0, r0, middle, padded, scratch[1]),
                () => Rows(a, n, r0, middle, n, padded, scratch[2]));
        }
        else
        {
            Rows(a, n, r0, r0, n, padded, scratch[1]);
        }

        // The first thread's rows reach rows below middle only; the second thread's reach every row.
        double[] first = scratch[1], second = scratch[2];
        for (int p = 0; p < nt; p++)
        {
            for (int c = 0; c < k; c++)
            {
                y[p * k + c] = (p < middle - r0 ? first[p * MaxWidth + c] : 0) + (parallel ? second[p * MaxWidth + c] : 0);
            }
        }
    }

    /// <summary>Work arrays for trailing matrices of up to <paramref name="order"/> rows: padded V and one Y per thread.</summary>
    public static double[][] Scratch(int order) => [new double[order * MaxWidth], new double[order * MaxWidth], new double[order * MaxWidth]];

    /// <summary>
    /// Adds the contributions of rows [start, end) of S (columns r0..row, lower triangle) to Y, which is cleared first
    /// over rows [r0, end), the only ones these rows reach.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows(double[] matrix, int n, int r0, int start, int end, double[] paddedV, double[] result)
    {
        result.AsSpan(0, (end - r0) * MaxWidth).Clear();
        fixed (double* a = matrix)
        fixed (double* vBase = paddedV)
        fixed (double* yBase = result)
        {
            // V and Y are indexed by row − r0.
            double* v = vBase - (nint)r0 * MaxWidth;
            double* y = yBase - (nint)r0 * MaxWidth;
            int i = start;
            for (; i + 1 < end; i += 2)
            {
                double* row0 = a + (nint)i * n;
                double* row1 = row0 + n;
                double* vi0 = v + (nint)i * MaxWidth;
                double* vi1 = vi0 + MaxWidth;
                Vector512<double> x00 = Vector512.Load(vi0), x01 = Vector512.Load(vi0 + 8), x02 = Vector512.Load(vi0 + 16), x03 = Vector512.Load(vi0 + 24);
                Vector512<double> x10 = Vector512.Load(vi1), x11 = Vector512.Load(vi1 + 8), x12 = Vector512.Load(vi1 + 16), x13 = Vector512.Load(vi1 + 24);
                Vector512<double> s00 = default, s01 = default, s02 = default, s03 = default;
                Vector512<double> s10 = default, s11 = default, s12 = default, s13 = default;
                for (int j = r0; j < i; j++)
                {
                    var a0 = Vector512.Create(row0[j]);
                    var a1 = Vector512.Create(row1[j]);
                    double* vj = v + (nint)j * MaxWidth;
                    double* yj = y + (nint)j * MaxWidth;
                    Vector512<double> v0 = Vector512.Load(vj), v1 = Vector512.Load(vj + 8), v2 = Vector512.Load(vj + 16), v3 = Vector512.Load(vj + 24);
                    s00 = Vector512.FusedMultiplyAdd(a0, v0, s00);
                    s01 = Vector512.FusedMultiplyAdd(a0, v1, s01);
                    s02 = Vector512.FusedMultiplyAdd(a0, v2, s02);
                    s03 = Vector512.FusedMultiplyAdd(a0, v3, s03);
                    s10 = Vector512.FusedMultiplyAdd(a1, v0, s10);
                    s11 = Vector512.FusedMultiplyAdd(a1, v1, s11);
                    s12 = Vector512.FusedMultiplyAdd(a1, v2, s12);
                    s13 = Vector512.FusedMultiplyAdd(a1, v3, s13);
                    Vector512.FusedMultiplyAdd(a1, x10, Vector512.FusedMultiplyAdd(a0, x00, Vector512.Load(yj))).Store(yj);
                    Vector512.FusedMultiplyAdd(a1, x11, Vector512.FusedMultiplyAdd(a0, x01, Vector512.Load(yj + 8))).Store(yj + 8);
                    Vector512.FusedMultiplyAdd(a1, x12, Vector512.FusedMultiplyAdd(a0, x02, Vector512.Load(yj + 16))).Store(yj + 16);
                    Vector512.FusedMultiplyAdd(a1, x13, Vector512.FusedMultiplyAdd(a0, x03, Vector512.Load(yj + 24))).Store(yj + 24);
                }
                // The 2×2 diagonal block: S[i, i], S[i+1, i] (= S[i, i+1]) and S[i+1, i+1].
                var d00 = Vector512.Create(row0[i]);
                var d10 = Vector512.Create(row1[i]);
                var d11 = Vector512.Create(row1[i + 1]);
                double* y0 = y + (nint)i * MaxWidth;
                double* y1 = y0 + MaxWidth;
                (Vector512.Load(y0) + s00 + d00 * x00 + d10 * x10).Store(y0);
                (Vector512.Load(y0 + 8) + s01 + d00 * x01 + d10 * x11).Store(y0 + 8);
                (Vector512.Load(y0 + 16) + s02 + d00 * x02 + d10 * x12).Store(y0 + 16);
                (Vector512.Load(y0 + 24) + s03 + d00 * x03 + d10 * x13).Store(y0 + 24);
                (Vector512.Load(y1) + s10 + d10 * x00 + d11 * x10).Store(y1);
                (Vector512.Load(y1 + 8) + s11 + d10 * x01 + d11 * x11).Store(y1 + 8);
                (Vector512.Load(y1 + 16) + s12 + d10 * x02 + d11 * x12).Store(y1 + 16);
                (Vector512.Load(y1 + 24) + s13 + d10 * x03 + d11 * x13).Store(y1 + 24);
            }
            if (i < end)
            {
                // An odd last row on its own.
                double* row = a + (nint)i * n;
                double* vi = v + (nint)i * MaxWidth;
                double* yi = y + (nint)i * MaxWidth;
                for (int c = 0; c < MaxWidth; c += 8)
                {
                    Vector512<double> x = Vector512.Load(vi + c);
                    Vector512<double> sum = Vector512.Create(row[i]) * x;
                    for (int j = r0; j < i; j++)
                    {
                        var s = Vector512.Create(row[j]);
                        sum = Vector512.FusedMultiplyAdd(s, Vector512.Load(v + (nint)j * MaxWidth + c), sum);
                        double* yj = y + (nint)j * MaxWidth + c;
                        Vector512.FusedMultiplyAdd(s, x, Vector512.Load(yj)).Store(yj);
                    }
                    (Vector512.Load(yi + c) + sum).Store(yi + c);
                }
            }
        }
    }
}

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RawDiffusion.Spectrum;

/// <summary>
/// Y = S V for a symmetric S held in its lower triangle and a thin V (at most <see cref="MaxWidth"/> columns): the
/// product the band reduction forms for every panel. A GEMM would pack the whole of S for each product although
/// every entry of S is used for only 2·width flops; here each stored entry S[i, j] (j ≤ i) is read once from the
/// matrix and used twice, Y[i] += S[i, j] V[j] and Y[j] += S[i, j] V[i], with V and Y (nt × 32 float64, 256 KiB
/// each) staying in L2.
/// </summary>
internal static unsafe class SymmetricThinProduct
{
    /// <summary>The band reduction's panel width; V and Y rows are padded to this many columns (4 AVX-512 vectors).</summary>
    public const int MaxWidth = 32;

    /// <summary>Below this many flops the product runs on one thread; splitting it costs more than it saves.</summary>
    private const double MinimumParallelFlops = 4e6;

    private const int ChunksPerThread = 4;

    /// <summary>
    /// Y (nt × k, leading dimension k) = S V where S = A[r0:, r0:] (A n×n row-major, lower triangle read) and V is
    /// nt × k (leading dimension k), nt = n − r0.
    /// </summary>
    /// <remarks>
    /// In parallel the rows are cut into <see cref="ChunksPerThread"/> chunks per core of equal work (row i costs
    /// i − r0 entries), handed out one at a time, each worker adding into its own Y. On a machine shared with other jobs
    /// a worker the scheduler has not started yet then leaves its chunks to the others instead of holding up the product.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(double[] a, int n, int r0, double[] v, int k, double[] y, Workspace workspace)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, MaxWidth);
        int nt = n - r0;
        double[] padded = workspace.PaddedV;
        for (int p = 0; p < nt; p++)
        {
            v.AsSpan(p * k, k).CopyTo(padded.AsSpan(p * MaxWidth));
            padded.AsSpan(p * MaxWidth + k, MaxWidth - k).Clear();
        }

        var partials = new List<double[]>();
        if (2.0 * nt * nt * k < MinimumParallelFlops || Environment.ProcessorCount == 1)
        {
            double[] sum = workspace.TakeCleared(nt);
            Rows(a, n, r0, r0, n, padded, sum);
            partials.Add(sum);
        }
        else
        {
            int chunks = ChunksPerThread * Environment.ProcessorCount;
            int Boundary(int chunk) => r0 + (int)Math.Round(nt * Math.Sqrt((double)chunk / chunks));
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                () => workspace.TakeCleared(nt),
                (chunk, _, sum) =>
                {
                    Rows(a, n, r0, Boundary(chunk), Boundary(chunk + 1), padded, sum);
                    return sum;
                },
                sum =>
                {
                    lock (partials)
                    {
                        partials.Add(sum);
                    }
                });
        }

        for (int p = 0; p < nt; p++)
        {
            for (int c = 0; c < k; c++)
            {
                double total = 0;
                foreach (double[] sum in partials)
                {
                    total += sum[p * MaxWidth + c];
                }
                y[p * k + c] = total;
            }
        }
        foreach (double[] sum in partials)
        {
            workspace.Return(sum);
        }
    }

    /// <summary>Work arrays for trailing matrices of up to <c>order</c> rows: V padded to <see cref="MaxWidth"/> columns,
    /// and one Y per worker, kept for the next product; all from the shared array pool, returned on disposal.</summary>
    public sealed class Workspace(int order) : IDisposable
    {
        private readonly System.Collections.Concurrent.ConcurrentBag<double[]> free = [];

        public double[] PaddedV { get; } = ArrayPool<double>.Shared.Rent(order * MaxWidth);

        public double[] TakeCleared(int rows)
        {
            double[] sum = free.TryTake(out double[]? kept) ? kept : ArrayPool<double>.Shared.Rent(order * MaxWidth);
            sum.AsSpan(0, rows * MaxWidth).Clear();
            return sum;
        }

        public void Return(double[] sum) => free.Add(sum);

        public void Dispose()
        {
            ArrayPool<double>.Shared.Return(PaddedV);
            while (free.TryTake(out double[]? sum))
            {
                ArrayPool<double>.Shared.Return(sum);
            }
        }
    }

    /// <summary>
    /// Adds the contributions of rows [start, end) of S (columns r0..row, lower triangle) to Y; they reach rows
    /// [r0, end) of Y.
    /// </summary>
    /// <remarks>
    /// Four rows of S at a time: their sums S[i..i+3, j] V[j] stay in 16 zmm accumulators, and Y[j] is loaded and
    /// stored once per four rows, with V[i..i+3] re-read from L1. Per j that is 32 FMAs against 24 loads and 4 stores,
    /// enough to keep both FMA pipes busy, where one row at a time would be bound by the stores of Y[j].
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows(double[] matrix, int n, int r0, int start, int end, double[] paddedV, double[] result)
    {
        fixed (double* a = matrix)
        fixed (double* vBase = paddedV)
        fixed (double* yBase = result)
        {
            // V and Y are indexed by row − r0.
            double* v = vBase - (nint)r0 * MaxWidth;
            double* y = yBase - (nint)r0 * MaxWidth;
            int i = start;
            for (; i + 3 < end; i += 4)
            {
                double* row0 = a + (nint)i * n;
                double* row1 = row0 + n;
                double* row2 = row1 + n;
                double* row3 = row2 + n;
                double* x = v + (nint)i * MaxWidth;
                Vector512<double> s00 = default, s01 = default, s02 = default, s03 = default;
                Vector512<double> s10 = default, s11 = default, s12 = default, s13 = default;
                Vector512<double> s20 = default, s21 = default, s22 = default, s23 = default;
                Vector512<double> s30 = default, s31 = default, s32 = default, s33 = default;
                for (int j = r0; j < i; j++)
                {
                    var a0 = Vector512.Create(row0[j]);
                    var a1 = Vector512.Create(row1[j]);
                    var a2 = Vector512.Create(row2[j]);
                    var a3 = Vector512.Create(row3[j]);
                    double* vj = v + (nint)j * MaxWidth;
                    double* yj = y + (nint)j * MaxWidth;
                    var vc = Vector512.Load(vj);
                    s00 = Vector512.FusedMultiplyAdd(a0, vc, s00);
                    s10 = Vector512.FusedMultiplyAdd(a1, vc, s10);
                    s20 = Vector512.FusedMultiplyAdd(a2, vc, s20);
                    s30 = Vector512.FusedMultiplyAdd(a3, vc, s30);
                    vc = Vector512.Load(vj + 8);
                    s01 = Vector512.FusedMultiplyAdd(a0, vc, s01);
                    s11 = Vector512.FusedMultiplyAdd(a1, vc, s11);
                    s21 = Vector512.FusedMultiplyAdd(a2, vc, s21);
                    s31 = Vector512.FusedMultiplyAdd(a3, vc, s31);
                    vc = Vector512.Load(vj + 16);
                    s02 = Vector512.FusedMultiplyAdd(a0, vc, s02);
                    s12 = Vector512.FusedMultiplyAdd(a1, vc, s12);
                    s22 = Vector512.FusedMultiplyAdd(a2, vc, s22);
                    s32 = Vector512.FusedMultiplyAdd(a3, vc, s32);
                    vc = Vector512.Load(vj + 24);
                    s03 = Vector512.FusedMultiplyAdd(a0, vc, s03);
                    s13 = Vector512.FusedMultiplyAdd(a1, vc, s13);
                    s23 = Vector512.FusedMultiplyAdd(a2, vc, s23);
                    s33 = Vector512.FusedMultiplyAdd(a3, vc, s33);
                    for (int c = 0; c < MaxWidth; c += 8)
                    {
                        Vector512<double> sum = Vector512.FusedMultiplyAdd(a0, Vector512.Load(x + c), Vector512.Load(yj + c));
                        sum = Vector512.FusedMultiplyAdd(a1, Vector512.Load(x + MaxWidth + c), sum);
                        sum = Vector512.FusedMultiplyAdd(a2, Vector512.Load(x + 2 * MaxWidth + c), sum);
                        sum = Vector512.FusedMultiplyAdd(a3, Vector512.Load(x + 3 * MaxWidth + c), sum);
                        sum.Store(yj + c);
                    }
                }
                double* y0 = y + (nint)i * MaxWidth;
                AddTo(y0, s00, s01, s02, s03);
                AddTo(y0 + MaxWidth, s10, s11, s12, s13);
                AddTo(y0 + 2 * MaxWidth, s20, s21, s22, s23);
                AddTo(y0 + 3 * MaxWidth, s30, s31, s32, s33);
                DiagonalBlock(a, n, i, 4, v, y);
            }
            for (; i < end; i++)
            {
                // The last rows one at a time.
                double* row = a + (nint)i * n;
                double* x = v + (nint)i * MaxWidth;
                double* yi = y + (nint)i * MaxWidth;
                for (int c = 0; c < MaxWidth; c += 8)
                {
                    Vector512<double> xc = Vector512.Load(x + c);
                    Vector512<double> sum = Vector512<double>.Zero;
                    for (int j = r0; j < i; j++)
                    {
                        var s = Vector512.Create(row[j]);
                        sum = Vector512.FusedMultiplyAdd(s, Vector512.Load(v + (nint)j * MaxWidth + c), sum);
                        double* yj = y + (nint)j * MaxWidth + c;
                        Vector512.FusedMultiplyAdd(s, xc, Vector512.Load(yj)).Store(yj);
                    }
                    (Vector512.Load(yi + c) + sum).Store(yi + c);
                }
                DiagonalBlock(a, n, i, 1, v, y);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo(double* y, Vector512<double> s0, Vector512<double> s1, Vector512<double> s2, Vector512<double> s3)
    {
        (Vector512.Load(y) + s0).Store(y);
        (Vector512.Load(y + 8) + s1).Store(y + 8);
        (Vector512.Load(y + 16) + s2).Store(y + 16);
        (Vector512.Load(y + 24) + s3).Store(y + 24);
    }

    /// <summary>The lower triangle of the diagonal block S[i..i+size, i..i+size), each entry used for both its positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DiagonalBlock(double* a, int n, int i, int size, double* v, double* y)
    {
        for (int r = 0; r < size; r++)
        {
            double* row = a + (nint)(i + r) * n;
            double* yr = y + (nint)(i + r) * MaxWidth;
            double* vr = v + (nint)(i + r) * MaxWidth;
            for (int c = 0; c <= r; c++)
            {
                var s = Vector512.Create(row[i + c]);
                double* yc = y + (nint)(i + c) * MaxWidth;
                double* vc = v + (nint)(i + c) * MaxWidth;
                for (int w = 0; w < MaxWidth; w += 8)
                {
                    Vector512.FusedMultiplyAdd(s, Vector512.Load(vc + w), Vector512.Load(yr + w)).Store(yr + w);
                    if (c < r)
                    {
                        Vector512.FusedMultiplyAdd(s, Vector512.Load(vr + w), Vector512.Load(yc + w)).Store(yc + w);
                    }
                }
            }
        }
    }
}

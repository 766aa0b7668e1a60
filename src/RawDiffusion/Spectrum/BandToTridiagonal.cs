using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RawDiffusion.Spectrum;

/// <summary>
/// Second stage of the two-stage tridiagonalisation: Householder bulge chasing on a symmetric band matrix
/// (the eigenvalue-only path of LAPACK's dsytrd_sb2st, after Lang and Haidar–Ltaief–Dongarra). Sweep i annihilates
/// column i below the subdiagonal with one reflector of length b; applying it fills a b×b bulge below the band, whose
/// first column the next reflector annihilates, and so on down the band. The rest of each bulge lies inside the reach
/// of sweep i+1's reflectors, which remove it. Every step touches a 2b×2b window, so it runs from cache: O(b n²) work.
/// </summary>
internal static unsafe class BandToTridiagonal
{
    /// <summary>
    /// <paramref name="a"/> is n×n row-major with the band in its lower triangle (0 ≤ row − column ≤ b, zero below);
    /// it is overwritten. Fills the diagonal <paramref name="diagonal"/> (n) and subdiagonal <paramref name="subdiagonal"/>
    /// (n, the last entry 0) of an orthogonally similar tridiagonal matrix.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Reduce(double[] a, int n, int b, double[] diagonal, double[] subdiagonal)
    {
        if (b <= 1)
        {
            for (int i = 0; i < n; i++)
            {
                diagonal[i] = a[(long)i * n + i];
                subdiagonal[i] = i + 1 < n ? a[(long)(i + 1) * n + i] : 0;
            }
            return;
        }
        // Compact band storage (see Chase): element (r, c) at (stride + r·stride + c) with stride 2b − 1.
        int stride = 2 * b - 1;
        // From the shared pool, cleared: a fresh array's pages would each be faulted in during the chase.
        double[] band = ArrayPool<double>.Shared.Rent(n * 2 * b);
        band.AsSpan(0, n * 2 * b).Clear();
        for (int r = 0; r < n; r++)
        {
            for (int c = Math.Max(0, r - b); c <= r; c++)
            {
                band[stride + (long)r * stride + c] = a[(long)r * n + c];
            }
        }
        Chase(band, n, b);
        for (int i = 0; i < n; i++)
        {
            diagonal[i] = band[stride + (long)i * stride + i];
            subdiagonal[i] = i + 1 < n ? band[stride + (long)(i + 1) * stride + i] : 0;
        }
        ArrayPool<double>.Shared.Return(band);
    }

    /// <summary>
    /// Chases on the band stored compactly: row r keeps columns r−2b+1..r (the band and the bulge below it, which is
    /// all a sweep touches) at <c>a + r·stride + column</c> with stride 2b−1. The whole working set is then n·2b values
    /// (2 MiB at n = 4096) instead of rows n values apart, each on its own page.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Chase(double[] band, int n, int b)
    {
        // The current and the next reflector (they swap places after each step), and work space for the updates.
        var work = new double[5 * b];
        int stride = 2 * b - 1;
        fixed (double* bandStart = band)
        fixed (double* workStart = work)
        {
            double* vp = workStart, nextp = workStart + b, f = workStart + 2 * b, w = workStart + 3 * b, y = workStart + 4 * b;
            double* a = bandStart + stride;
            for (int i = 0; i < n - 2; i++)
            {
                int s = i + 1;
                int length = Math.Min(b, n - 1 - i);
                for (int p = 0; p < length; p++)
                {
                    vp[p] = a[(long)(s + p) * stride + i];
                }
                double tau = Householder.Generate(new Span<double>(vp, length), out double beta);
                a[(long)s * stride + i] = beta;
                for (int p = 1; p < length; p++)
                {
                    a[(long)(s + p) * stride + i] = 0;
                }
                ApplyTwoSided(a, stride, s, length, vp, tau, y);

                while (s + length < n)
                {
                    int below = s + length;
                    int belowLength = Math.Min(b, n - below);

                    // The block under the diagonal block: B ← H' B H. H from the right fills B below the band (the
                    // bulge); the new reflector H' annihilates the bulge's first column from the left ...
                    double nextTau = ApplyToBlockBelow(a, stride, below, belowLength, s, length, vp, tau, nextp, f, w);

                    // ... and from both sides to the next diagonal block.
                    ApplyTwoSided(a, stride, below, belowLength, nextp, nextTau, y);

                    double* swap = vp;
                    vp = nextp;
                    nextp = swap;
                    tau = nextTau;
                    s = below;
                    length = belowLength;
                }
            }
        }
    }

    /// <summary>
    /// B ← H' B H for the block B at rows [below, below+mb) and columns [s, s+m), H = I − tau v vᵀ: returns the tau of the
    /// new reflector H', which it writes to <paramref name="u"/> and which leaves B's first column (beta, 0, …, 0).
    /// </summary>
    /// <remarks>
    /// Three passes over B instead of applying H and then H' (four): with f = tau B v, the first column of B H is
    /// B[:, 0] − f (v[0] = 1), which is all H' needs, and uᵀ(B H) = uᵀB − (uᵀf) vᵀ, so one rank-2 update applies both.
    /// <paramref name="f"/> (mb) and <paramref name="w"/> (m) are work space.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double ApplyToBlockBelow(double* a, int stride, int below, int mb, int s, int m, double* v, double tau, double* u, double* f, double* w)
    {
        double* block = a + (long)below * stride + s;
        for (int p = 0; p < mb; p++)
        {
            double* row = block + (long)p * stride;
            f[p] = tau * DenseVectors.Dot(row, v, m);
            u[p] = row[0] - f[p];
        }
        double uTau = Householder.Generate(new Span<double>(u, mb), out double beta);

        // w = uTau (uᵀ B H) on columns 1..m−1.
        new Span<double>(w, m).Clear();
        for (int p = 0; p < mb; p++)
        {
            DenseVectors.Axpy(u[p], block + (long)p * stride + 1, w + 1, m - 1);
        }
        double uf = DenseVectors.Dot(u, f, mb);
        for (int c = 1; c < m; c++)
        {
            w[c] = uTau * (w[c] - uf * v[c]);
        }

        // B ← B − f vᵀ − u wᵀ: B H, then H' applied to it.
        for (int p = 0; p < mb; p++)
        {
            double* row = block + (long)p * stride;
            Rank2Row(row + 1, v + 1, w + 1, u[p], f[p], m - 1);
            row[0] = p == 0 ? beta : 0;
        }
        return uTau;
    }

    /// <summary>D ← H D H for the symmetric block D at rows/columns [s, s+m), stored in the lower triangle only;
    /// <paramref name="yp"/> (m) is work space.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ApplyTwoSided(double* a, int stride, int s, int m, double* vp, double tau, double* yp)
    {
        if (tau == 0)
        {
            return;
        }
        new Span<double>(yp, m).Clear();
        // y = D v from the lower triangle: row r contributes D[r, 0..r] · v and D[r, 0..r−1] v[r] to y[0..r−1].
        for (int r = 0; r < m; r++)
        {
            double* row = a + (long)(s + r) * stride + s;
            yp[r] += DenseVectors.DotAndAxpy(row, vp, vp[r], yp, r) + row[r] * vp[r];
        }
        // w = tau y − ½ tau² (yᵀ v) v, then D ← D − v wᵀ − w vᵀ.
        double correction = -0.5 * tau * tau * DenseVectors.Dot(yp, vp, m);
        for (int r = 0; r < m; r++)
        {
            yp[r] = tau * yp[r] + correction * vp[r];
        }
        for (int r = 0; r < m; r++)
        {
            double* row = a + (long)(s + r) * stride + s;
            Rank2Row(row, vp, yp, vp[r], yp[r], r + 1);
        }
    }

    /// <summary>row[0..count) −= vr w + wr v (one row of the symmetric rank-2 update).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rank2Row(double* row, double* v, double* w, double vr, double wr, int count)
    {
        int i = 0;
        var vs = Vector512.Create(vr);
        var ws = Vector512.Create(wr);
        for (; i + 8 <= count; i += 8)
        {
            Vector512.FusedMultiplyAdd(-ws, Vector512.Load(v + i), Vector512.FusedMultiplyAdd(-vs, Vector512.Load(w + i), Vector512.Load(row + i))).Store(row + i);
        }
        if (i + 4 <= count)
        {
            Vector256.FusedMultiplyAdd(-ws.GetLower(), Vector256.Load(v + i), Vector256.FusedMultiplyAdd(-vs.GetLower(), Vector256.Load(w + i), Vector256.Load(row + i))).Store(row + i);
            i += 4;
        }
        for (; i < count; i++)
        {
            row[i] -= vr * w[i] + wr * v[i];
        }
    }
}

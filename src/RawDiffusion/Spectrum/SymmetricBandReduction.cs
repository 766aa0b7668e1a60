using System.Buffers;
using System.Runtime.CompilerServices;
using RawDiffusion.Backends.Cpu;

namespace RawDiffusion.Spectrum;

/// <summary>
/// First stage of the two-stage tridiagonalisation (LAPACK's dsytrd_sy2sb): reduces a full symmetric matrix to a band of
/// half-width b by blocked Householder QR of one b-column panel at a time, with the two-sided trailing update done as
/// a symmetric-times-panel product (<see cref="SymmetricThinProduct"/>) and a rank-2k GEMM update, both on the lower
/// triangle only. Unlike the one-stage reduction (half of whose work is matrix-vector products that re-read the whole
/// trailing matrix from memory for every column) all of the O(n³) work here is matrix-matrix.
/// </summary>
internal static class SymmetricBandReduction
{
    /// <summary>Rows of the trailing matrix per GEMM of the rank-2k update.</summary>
    private const int BlockSize = 128;

    /// <summary>
    /// <paramref name="a"/> is n×n row-major and symmetric, read and written in its lower triangle only. On return its
    /// lower band (0 ≤ row − column ≤ b) holds a matrix orthogonally similar to the input and everything below the band
    /// is zero; the strict upper triangle is left unspecified.
    /// </summary>
    public static void Reduce(double[] a, int n, int b)
    {
        if (b < 1 || b >= n - 1)
        {
            return;
        }
        // Work arrays from the shared pool: fresh arrays of this size cost a page fault per 4 KiB on first touch,
        // which showed up as a sizeable share of the reduction at n = 1024 on a virtual machine.
        double[] panel = Rent(n * b), v = Rent(n * b), y = Rent(n * b), x = Rent(n * b);
        double[] left = Rent(n * 2 * b), right = Rent(n * 2 * b);
        double[] t = Rent(b * b), z = Rent(b * b), m = Rent(b * b);
        double[] taus = Rent(b), betas = Rent(b), vtv = Rent(b * b);
        using var productWorkspace = new SymmetricThinProduct.Workspace(n);
        try
        {
            ReducePanels(a, n, b, panel, v, y, x, left, right, t, z, m, taus, betas, vtv, productWorkspace);
        }
        finally
        {
            foreach (double[] array in (double[][])[panel, v, y, x, left, right, t, z, m, taus, betas, vtv])
            {
                ArrayPool<double>.Shared.Return(array);
            }
        }
    }

    private static double[] Rent(int length) => ArrayPool<double>.Shared.Rent(length);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReducePanels(double[] a, int n, int b, double[] panel, double[] v, double[] y, double[] x,
        double[] left, double[] right, double[] t, double[] z, double[] m, double[] taus, double[] betas, double[] vtv,
        SymmetricThinProduct.Workspace productWorkspace)
    {
        for (int j = 0; j + b < n - 1; j += b)
        {
            int r0 = j + b;
            int nt = n - r0;
            int k = Math.Min(nt, b);

            // The panel below the band, column-major so each Householder step works on contiguous columns.
            for (int p = 0; p < nt; p++)
            {
                int row = (r0 + p) * n + j;
                for (int c = 0; c < b; c++)
                {
                    panel[c * nt + p] = a[row + c];
                }
            }
            FactorPanel(panel, nt, b, k, taus, betas);

            // R goes back into the band; below it the panel is now zero.
            for (int p = 0; p < nt; p++)
            {
                int row = (r0 + p) * n + j;
                for (int c = 0; c < b; c++)
                {
                    a[row + c] = p < c ? panel[c * nt + p] : p == c ? betas[c] : 0;
                }
            }

            // V (nt×k, unit lower trapezoidal) row-major for the GEMMs.
            for (int p = 0; p < nt; p++)
            {
                for (int i = 0; i < k; i++)
                {
                    v[p * k + i] = p < i ? 0 : p == i ? 1 : panel[i * nt + p];
                }
            }
            BuildT(v, nt, k, taus, t, vtv);

            // Qᵀ A22 Q with Q = I − V T Vᵀ is A22 − W Vᵀ − V Wᵀ where X = A22 V T, W = X − ½ V (Tᵀ Vᵀ X).
            SymmetricThinProduct.Multiply(a, n, r0, v, k, y, productWorkspace);
            CpuGemm.Dgemm(false, false, nt, k, k, 1, y, k, t, k, 0, x, k);
            CpuGemm.Dgemm(true, false, k, k, nt, 1, v, k, x, k, 0, z, k);
            CpuGemm.Dgemm(true, false, k, k, k, 1, t, k, z, k, 0, m, k);
            CpuGemm.Dgemm(false, false, nt, k, k, -0.5, v, k, m, k, 1, x, k);
            for (int p = 0; p < nt; p++)
            {
                x.AsSpan(p * k, k).CopyTo(left.AsSpan(p * 2 * k, k));
                v.AsSpan(p * k, k).CopyTo(left.AsSpan(p * 2 * k + k, k));
                v.AsSpan(p * k, k).CopyTo(right.AsSpan(p * 2 * k, k));
                x.AsSpan(p * k, k).CopyTo(right.AsSpan(p * 2 * k + k, k));
            }
            SymmetricRank2kUpdate(a, n, r0, left, right, 2 * k);
        }
    }

    /// <summary>
    /// S −= L Rᵀ on the lower triangle of S = A[r0:, r0:] (L, R are nt×width), one single-threaded GEMM per block of
    /// rows: rows [i, i+BlockSize) against columns [r0, i+BlockSize), so only the upper halves of the diagonal blocks are
    /// computed beyond the triangle. The blocks are handed out to the cores one at a time, largest first, so that on a
    /// shared machine a core that is not scheduled holds up no more than one block.
    /// </summary>
    private static void SymmetricRank2kUpdate(double[] a, int n, int r0, double[] left, double[] right, int width)
    {
        int blocks = (n - r0 + BlockSize - 1) / BlockSize;
        void Block(int index)
        {
            // Index 0 is the last (widest) block.
            int i = r0 + (blocks - 1 - index) * BlockSize;
            int rows = Math.Min(BlockSize, n - i);
            CpuGemm.DgemmOnThisThread(false, true, rows, i + rows - r0, width, -1, left.AsSpan((i - r0) * width), width,
                right, width, 1, a.AsSpan(i * n + r0), n);
        }
        if (blocks == 1 || Environment.ProcessorCount == 1)
        {
            for (int index = 0; index < blocks; index++)
            {
                Block(index);
            }
            return;
        }
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, Block);
    }

    /// <summary>Unblocked Householder QR of the column-major nt×b panel (dgeqr2): k reflectors, R above the diagonal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void FactorPanel(double[] panel, int nt, int b, int k, double[] taus, double[] betas)
    {
        fixed (double* start = panel)
        {
            for (int i = 0; i < k; i++)
            {
                double* column = start + i * nt + i;
                int length = nt - i;
                double tau = Householder.Generate(panel.AsSpan(i * nt + i, length), out betas[i]);
                taus[i] = tau;
                if (tau == 0)
                {
                    continue;
                }
                for (int c = i + 1; c < b; c++)
                {
                    double* other = start + c * nt + i;
                    DenseVectors.Axpy(-tau * DenseVectors.Dot(column, other, length), column, other, length);
                }
            }
        }
    }

    /// <summary>
    /// The upper-triangular T of the compact WY form H1···Hk = I − V T Vᵀ (dlarft, forward, columnwise), from the
    /// k×k product VᵀV (one GEMM; V's zeros above its unit diagonal are stored, so the product sums over the right rows).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BuildT(double[] v, int nt, int k, double[] taus, double[] t, double[] vtv)
    {
        CpuGemm.Dgemm(true, false, k, k, nt, 1, v, k, v, k, 0, vtv, k);
        Array.Clear(t, 0, k * k);
        for (int i = 0; i < k; i++)
        {
            t[i * k + i] = taus[i];
            // T[0:i, i] = −tau_i T[0:i, 0:i] (VᵀV)[0:i, i] (T upper triangular).
            for (int r = 0; r < i; r++)
            {
                double sum = 0;
                for (int q = r; q < i; q++)
                {
                    sum += t[r * k + q] * vtv[q * k + i];
                }
                t[r * k + i] = -taus[i] * sum;
            }
        }
    }
}

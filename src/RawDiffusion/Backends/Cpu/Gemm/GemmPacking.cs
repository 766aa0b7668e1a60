using System.Numerics;
using System.Runtime.CompilerServices;

namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// Copies blocks of op(A) and op(B) into the contiguous, k-major micro-panel layout the micro-kernel
/// streams through: every k step of a panel is one contiguous group of MR (or NR) values, so the kernel
/// reads its operands with unit stride whatever the transposition or leading dimension of the source.
/// Panels are zero-padded to full MR rows / NR columns, which lets edge tiles use the same kernel.
/// </summary>
internal static unsafe class GemmPacking<T, TKernel>
    where T : unmanaged, INumberBase<T>
    where TKernel : struct, IGemmMicroKernel<T>
{
    /// <summary>Packs the mc x kc block of op(A) whose top-left element is at <paramref name="a"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(bool transA, T* a, nint lda, int mc, int kc, T* packed)
    {
        int mr = TKernel.Rows;
        for (int panelRow = 0; panelRow < mc; panelRow += mr, packed += (nint)kc * mr)
        {
            int rows = Math.Min(mr, mc - panelRow);
            if (transA)
            {
                // Stored k x m: the MR values of one k step are adjacent in memory.
                CopyRuns(a + panelRow, lda, kc, rows, mr, packed);
            }
            else
            {
                // Stored m x k: each panel is a transpose of MR source rows.
                TransposeRows(a + (nint)panelRow * lda, lda, kc, rows, mr, packed);
            }
        }
    }

    /// <summary>Packs the kc x nc block of op(B) whose top-left element is at <paramref name="b"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(bool transB, T* b, nint ldb, int kc, int nc, T* packed)
    {
        int nr = TKernel.Columns;
        for (int panelColumn = 0; panelColumn < nc; panelColumn += nr, packed += (nint)kc * nr)
        {
            int columns = Math.Min(nr, nc - panelColumn);
            if (transB)
            {
                // Stored n x k: each panel is a transpose of NR source rows.
                TransposeRows(b + (nint)panelColumn * ldb, ldb, kc, columns, nr, packed);
            }
            else
            {
                // Stored k x n: the NR values of one k step are adjacent in memory.
                CopyRuns(b + panelColumn, ldb, kc, columns, nr, packed);
            }
        }
    }

    /// <summary>panel[p * width + i] = source[p * ld + i] for i &lt; count, zero up to width.</summary>
    /// <remarks>Inlined so that width, the kernel's MR or NR, is a constant and the block copy unrolls.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void CopyRuns(T* source, nint ld, int kc, int count, int width, T* panel)
    {
        for (int p = 0; p < kc; p++, source += ld, panel += width)
        {
            if (count == width)
            {
                Unsafe.CopyBlockUnaligned(panel, source, (uint)(width * sizeof(T)));
                continue;
            }

            for (int i = 0; i < count; i++)
            {
                panel[i] = source[i];
            }

            for (int i = count; i < width; i++)
            {
                panel[i] = T.Zero;
            }
        }
    }

    /// <summary>panel[p * width + i] = source[i * ld + p] for i &lt; count, zero up to width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeRows(T* source, nint ld, int kc, int count, int width, T* panel)
    {
        if (typeof(T) == typeof(float) && count == width && AvxPanelTranspose.IsSupported)
        {
            AvxPanelTranspose.Pack((float*)source, ld, kc, width, (float*)panel);
            return;
        }

        // Walk each source row contiguously and scatter it with stride width, which stays inside the panel.
        for (int i = 0; i < count; i++)
        {
            T* row = source + i * ld;
            T* target = panel + i;
            for (int p = 0; p < kc; p++)
            {
                target[(nint)p * width] = row[p];
            }
        }

        for (int i = count; i < width; i++)
        {
            T* target = panel + i;
            for (int p = 0; p < kc; p++)
            {
                target[(nint)p * width] = T.Zero;
            }
        }
    }
}

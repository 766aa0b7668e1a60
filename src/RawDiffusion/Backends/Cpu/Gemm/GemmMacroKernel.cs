using System.Numerics;
using System.Runtime.CompilerServices;

namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// Multiplies a packed A block (mc x kc, MR-row micro-panels) by a packed B block (kc x nc, NR-column
/// micro-panels) into C, one micro-tile at a time: the two innermost loops of the GotoBLAS nest.
/// </summary>
internal static unsafe class GemmMacroKernel<T, TKernel>
    where T : unmanaged, INumberBase<T>
    where TKernel : struct, IGemmMicroKernel<T>
{
    /// <remarks>
    /// Rows outside, columns inside: one A micro-panel (MR x kc, half of a 32 KiB L1) stays in L1 while the B
    /// micro-panels of the block stream past it from L2.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(
        T* packedA, T* packedB, int mc, int nc, int kc, T alpha, T beta, T* c, nint ldc, T* edgeTile)
    {
        int mr = TKernel.Rows;
        int nr = TKernel.Columns;
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            T* aPanel = packedA + (nint)ir * kc;
            T* cRow = c + ir * ldc;
            for (int jr = 0; jr < nc; jr += nr)
            {
                int columns = Math.Min(nr, nc - jr);
                T* bPanel = packedB + (nint)jr * kc;
                if (rows == mr && columns == nr)
                {
                    TKernel.Multiply(kc, aPanel, bPanel, alpha, beta, cRow + jr, ldc);
                }
                else
                {
                    // Edge tile: compute the full zero-padded tile aside, then merge only the valid part.
                    TKernel.Multiply(kc, aPanel, bPanel, T.One, T.Zero, edgeTile, nr);
                    MergeEdgeTile(edgeTile, rows, columns, alpha, beta, cRow + jr, ldc);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MergeEdgeTile(T* tile, int rows, int columns, T alpha, T beta, T* c, nint ldc)
    {
        int nr = TKernel.Columns;
        bool overwrite = T.IsZero(beta);
        for (int i = 0; i < rows; i++)
        {
            T* source = tile + (nint)i * nr;
            T* target = c + i * ldc;
            for (int j = 0; j < columns; j++)
            {
                target[j] = overwrite ? alpha * source[j] : alpha * source[j] + beta * target[j];
            }
        }
    }
}

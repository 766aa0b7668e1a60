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
    public static void PackA(bool transA, T* a, nint lda, int mc, int kc, T* packed)
    {
        int mr = TKernel.Rows;
        for (int panelRow = 0; panelRow < mc; panelRow += mr, packed += (nint)kc * mr)
        {
            int rows = Math.Min(mr, mc - panelRow);
            if (transA)
            {
                // Stored k x m: the MR values of one k step are adjacent in memory.
                T* source = a + panelRow;
                for (int p = 0; p < kc; p++, source += lda)
                {
                    T* target = packed + (nint)p * mr;
                    for (int i = 0; i < rows; i++)
                    {
                        target[i] = source[i];
                    }

                    for (int i = rows; i < mr; i++)
                    {
                        target[i] = T.Zero;
                    }
                }
            }
            else
            {
                // Stored m x k: walk each source row contiguously and scatter it with stride MR, which
                // stays inside the panel (MR x kc values) and therefore inside L1.
                for (int i = 0; i < rows; i++)
                {
                    T* source = a + (nint)(panelRow + i) * lda;
                    T* target = packed + i;
                    for (int p = 0; p < kc; p++)
                    {
                        target[(nint)p * mr] = source[p];
                    }
                }

                for (int i = rows; i < mr; i++)
                {
                    T* target = packed + i;
                    for (int p = 0; p < kc; p++)
                    {
                        target[(nint)p * mr] = T.Zero;
                    }
                }
            }
        }
    }

    /// <summary>Packs the kc x nc block of op(B) whose top-left element is at <paramref name="b"/>.</summary>
    public static void PackB(bool transB, T* b, nint ldb, int kc, int nc, T* packed)
    {
        int nr = TKernel.Columns;
        for (int panelColumn = 0; panelColumn < nc; panelColumn += nr, packed += (nint)kc * nr)
        {
            int columns = Math.Min(nr, nc - panelColumn);
            if (transB)
            {
                // Stored n x k: each source row is one column of op(B); scatter it with stride NR.
                for (int j = 0; j < columns; j++)
                {
                    T* source = b + (nint)(panelColumn + j) * ldb;
                    T* target = packed + j;
                    for (int p = 0; p < kc; p++)
                    {
                        target[(nint)p * nr] = source[p];
                    }
                }

                for (int j = columns; j < nr; j++)
                {
                    T* target = packed + j;
                    for (int p = 0; p < kc; p++)
                    {
                        target[(nint)p * nr] = T.Zero;
                    }
                }
            }
            else if (columns == nr)
            {
                // Stored k x n with a full panel: each k step is one contiguous run of NR values.
                T* source = b + panelColumn;
                for (int p = 0; p < kc; p++, source += ldb)
                {
                    Unsafe.CopyBlockUnaligned(packed + (nint)p * nr, source, (uint)(nr * sizeof(T)));
                }
            }
            else
            {
                T* source = b + panelColumn;
                for (int p = 0; p < kc; p++, source += ldb)
                {
                    T* target = packed + (nint)p * nr;
                    for (int j = 0; j < columns; j++)
                    {
                        target[j] = source[j];
                    }

                    for (int j = columns; j < nr; j++)
                    {
                        target[j] = T.Zero;
                    }
                }
            }
        }
    }
}

using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// The GotoBLAS/BLIS loop nest around a micro-kernel, plus the split of large products across threads.
/// </summary>
/// <remarks>
/// Loop order, outermost first (our A is broadcast by the kernel, our B is vector-loaded):
/// rows of C in Mc blocks (packed A block, L3) → k in Kc steps (rank-Kc update) → columns in Nc blocks
/// (packed B block, L2) → MR rows (A micro-panel, stays in L1) → NR columns (B micro-panels stream from L2).
/// Threads each take a rectangle of C and run the whole nest on it with their own packing buffers, so
/// nothing mutable is shared between them.
/// The loops are compiled fully optimised at once: with tiered compilation a program doing only small
/// products would otherwise keep running their unoptimised first version for a long time.
/// </remarks>
internal static unsafe class GemmDriver<T, TKernel>
    where T : unmanaged, INumberBase<T>
    where TKernel : struct, IGemmMicroKernel<T>
{
    /// <summary>Packed buffers start on a cache line so that aligned vector loads never split lines.</summary>
    private const int BufferAlignmentBytes = 64;

    public static void Multiply(in GemmOperands<T> operands, GemmBlocking blocking, int maxThreads)
    {
        if (operands.M == 0 || operands.N == 0)
        {
            return;
        }

        if (operands.K == 0 || T.IsZero(operands.Alpha))
        {
            GemmScaling.ScaleC(operands.C, operands.M, operands.N, operands.Ldc, operands.Beta);
            return;
        }

        int threads = GemmThreading.ThreadsFor(operands.Flops, maxThreads);
        if (threads == 1)
        {
            MultiplyOnThisThread(operands, blocking);
            return;
        }

        var grid = ThreadGrid.For(operands.M, operands.N, TKernel.Rows, TKernel.Columns, threads);
        GemmOperands<T> whole = operands;
        Parallel.For(0, grid.Count, new ParallelOptions { MaxDegreeOfParallelism = grid.Count }, cell =>
        {
            var (row, rows, column, columns) = grid.Cell(cell);
            MultiplyOnThisThread(whole.Block(row, rows, column, columns), blocking);
        });
    }

    private static void MultiplyOnThisThread(in GemmOperands<T> op, GemmBlocking blocking)
    {
        int mr = TKernel.Rows;
        int nr = TKernel.Columns;
        int kcMax = Math.Min(blocking.Kc, op.K);
        int mcMax = Math.Min(blocking.Mc, RoundUp(op.M, mr));
        int ncMax = Math.Min(blocking.Nc, RoundUp(op.N, nr));
        int packedALength = mcMax * kcMax;
        int packedBLength = ncMax * kcMax;
        int edgeTileLength = mr * nr;
        int alignmentElements = BufferAlignmentBytes / sizeof(T);

        T[] buffer = ArrayPool<T>.Shared.Rent(packedALength + packedBLength + edgeTileLength + 3 * alignmentElements);
        try
        {
            fixed (T* bufferStart = buffer)
            {
                T* packedA = AlignUp(bufferStart);
                T* packedB = AlignUp(packedA + packedALength);
                T* edgeTile = AlignUp(packedB + packedBLength);
                RunLoopNest(op, blocking, packedA, packedB, edgeTile);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(buffer);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunLoopNest(in GemmOperands<T> op, GemmBlocking blocking, T* packedA, T* packedB, T* edgeTile)
    {
        int mr = TKernel.Rows;
        int nr = TKernel.Columns;
        for (int ic = 0; ic < op.M; ic += blocking.Mc)
        {
            int mc = Math.Min(blocking.Mc, op.M - ic);
            for (int pc = 0; pc < op.K; pc += blocking.Kc)
            {
                int kc = Math.Min(blocking.Kc, op.K - pc);
                // Only the first rank-kc update applies beta; later ones accumulate onto it.
                T beta = pc == 0 ? op.Beta : T.One;
                T* aBlock = op.TransA ? op.A + (nint)pc * op.Lda + ic : op.A + (nint)ic * op.Lda + pc;
                GemmPacking<T, TKernel>.PackA(op.TransA, aBlock, op.Lda, mc, kc, packedA);

                for (int jc = 0; jc < op.N; jc += blocking.Nc)
                {
                    int nc = Math.Min(blocking.Nc, op.N - jc);
                    T* bBlock = op.TransB ? op.B + (nint)jc * op.Ldb + pc : op.B + (nint)pc * op.Ldb + jc;
                    GemmPacking<T, TKernel>.PackB(op.TransB, bBlock, op.Ldb, kc, nc, packedB);

                    for (int ir = 0; ir < mc; ir += mr)
                    {
                        int rows = Math.Min(mr, mc - ir);
                        T* aPanel = packedA + (nint)ir * kc;
                        T* cRow = op.C + (nint)(ic + ir) * op.Ldc + jc;
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int columns = Math.Min(nr, nc - jr);
                            T* bPanel = packedB + (nint)jr * kc;
                            if (rows == mr && columns == nr)
                            {
                                TKernel.Multiply(kc, aPanel, bPanel, op.Alpha, beta, cRow + jr, op.Ldc);
                            }
                            else
                            {
                                // Edge tile: compute the full padded tile aside, then merge only the valid part.
                                TKernel.Multiply(kc, aPanel, bPanel, T.One, T.Zero, edgeTile, nr);
                                MergeEdgeTile(edgeTile, rows, columns, op.Alpha, beta, cRow + jr, op.Ldc);
                            }
                        }
                    }
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

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static T* AlignUp(T* pointer) =>
        (T*)(((nint)pointer + (BufferAlignmentBytes - 1)) & ~(nint)(BufferAlignmentBytes - 1));
}

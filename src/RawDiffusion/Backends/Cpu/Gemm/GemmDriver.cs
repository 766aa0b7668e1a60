using System.Numerics;
using System.Runtime.CompilerServices;

namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// The GotoBLAS/BLIS loop nest around a micro-kernel, on one thread or on several.
/// </summary>
/// <remarks>
/// Our A is broadcast by the micro-kernel and our B is vector-loaded. The loop nests are compiled fully optimised
/// at once: with tiered compilation a program doing only small products would otherwise keep running their
/// unoptimised first version for a long time.
/// </remarks>
internal static unsafe class GemmDriver<T, TKernel>
    where T : unmanaged, INumberBase<T>
    where TKernel : struct, IGemmMicroKernel<T>
{
    /// <summary>Computes the product on exactly <paramref name="threads"/> threads (the caller decides whether that pays).</summary>
    public static void Multiply(in GemmOperands<T> operands, GemmBlocking blocking, int threads)
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

        if (threads <= 1)
        {
            MultiplyOnThisThread(operands, blocking);
        }
        else
        {
            MultiplyInParallel(operands, blocking, threads);
        }
    }

    /// <summary>
    /// Rows of C in Mc blocks (packed A block, L3) → k in Kc steps → columns in Nc blocks (packed B block, L2)
    /// → the macro-kernel (A micro-panel in L1, B micro-panels streaming from L2).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyOnThisThread(in GemmOperands<T> op, GemmBlocking blocking)
    {
        int kcMax = Math.Min(blocking.Kc, op.K);
        int mcMax = Math.Min(blocking.Mc, RoundUp(op.M, TKernel.Rows));
        int ncMax = Math.Min(blocking.Nc, RoundUp(op.N, TKernel.Columns));
        using var scratch = GemmScratch<T>.Rent(mcMax * kcMax, ncMax * kcMax, TKernel.Rows * TKernel.Columns);
        for (int ic = 0; ic < op.M; ic += blocking.Mc)
        {
            int mc = Math.Min(blocking.Mc, op.M - ic);
            for (int pc = 0; pc < op.K; pc += blocking.Kc)
            {
                int kc = Math.Min(blocking.Kc, op.K - pc);
                PackA(op, ic, mc, pc, kc, scratch.PackedA);
                for (int jc = 0; jc < op.N; jc += blocking.Nc)
                {
                    int nc = Math.Min(blocking.Nc, op.N - jc);
                    PackB(op, pc, kc, jc, nc, scratch.PackedB);
                    GemmMacroKernel<T, TKernel>.Multiply(scratch.PackedA, scratch.PackedB, mc, nc, kc,
                        op.Alpha, BetaForDepthBlock(op, pc), op.C + (nint)ic * op.Ldc + jc, op.Ldc, scratch.EdgeTile);
                }
            }
        }
    }

    /// <summary>
    /// Columns of C in SharedNc blocks → k in Kc steps: all threads pack one B block (Kc x SharedNc, L3) together,
    /// then take work items, each packing its own rows of A and multiplying them by the shared block in Nc-wide
    /// slices (L2). Every B element is packed once, and items are handed out dynamically so that a thread slowed by
    /// another process does not hold up the rest.
    /// </summary>
    private static void MultiplyInParallel(GemmOperands<T> op, GemmBlocking blocking, int threads)
    {
        int kcMax = Math.Min(blocking.Kc, op.K);
        int sharedNcMax = Math.Min(blocking.SharedNc, RoundUp(op.N, TKernel.Columns));
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        using var shared = GemmScratch<T>.Rent(0, sharedNcMax * kcMax, 0);
        nint packedB = (nint)shared.PackedB;
        for (int jc = 0; jc < op.N; jc += blocking.SharedNc)
        {
            int nc = Math.Min(blocking.SharedNc, op.N - jc);
            var split = GemmWorkSplit.For(op.M, nc, TKernel.Rows, TKernel.Columns, blocking.Mc, threads);
            for (int pc = 0; pc < op.K; pc += blocking.Kc)
            {
                int kc = Math.Min(blocking.Kc, op.K - pc);
                int panels = (nc + TKernel.Columns - 1) / TKernel.Columns;
                (int Jc, int Nc, int Pc, int Kc) block = (jc, nc, pc, kc);
                Parallel.For(0, Math.Min(threads, panels), options, part =>
                {
                    int first = panels * part / Math.Min(threads, panels) * TKernel.Columns;
                    int last = Math.Min(block.Nc, panels * (part + 1) / Math.Min(threads, panels) * TKernel.Columns);
                    PackB(op, block.Pc, block.Kc, block.Jc + first, last - first, (T*)packedB + (nint)first * block.Kc);
                });
                Parallel.For(0, split.Count, options, item =>
                    MultiplyWorkItem(op, blocking, split.Item(item), block, (T*)packedB));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyWorkItem(
        in GemmOperands<T> op, GemmBlocking blocking, (int Row, int Rows, int Column, int Columns) item,
        (int Jc, int Nc, int Pc, int Kc) block, T* sharedPackedB)
    {
        using var scratch = GemmScratch<T>.Rent(RoundUp(item.Rows, TKernel.Rows) * block.Kc, 0, TKernel.Rows * TKernel.Columns);
        PackA(op, item.Row, item.Rows, block.Pc, block.Kc, scratch.PackedA);
        int end = item.Column + item.Columns;
        for (int jc = item.Column; jc < end; jc += blocking.Nc)
        {
            int nc = Math.Min(blocking.Nc, end - jc);
            GemmMacroKernel<T, TKernel>.Multiply(scratch.PackedA, sharedPackedB + (nint)jc * block.Kc, item.Rows, nc, block.Kc,
                op.Alpha, BetaForDepthBlock(op, block.Pc), op.C + (nint)item.Row * op.Ldc + block.Jc + jc, op.Ldc, scratch.EdgeTile);
        }
    }

    /// <summary>Only the first rank-kc update applies beta; later ones accumulate onto its result.</summary>
    private static T BetaForDepthBlock(in GemmOperands<T> op, int pc) => pc == 0 ? op.Beta : T.One;

    private static void PackA(in GemmOperands<T> op, int row, int rows, int pc, int kc, T* packed)
    {
        T* block = op.TransA ? op.A + (nint)pc * op.Lda + row : op.A + (nint)row * op.Lda + pc;
        GemmPacking<T, TKernel>.PackA(op.TransA, block, op.Lda, rows, kc, packed);
    }

    private static void PackB(in GemmOperands<T> op, int pc, int kc, int column, int columns, T* packed)
    {
        T* block = op.TransB ? op.B + (nint)column * op.Ldb + pc : op.B + (nint)pc * op.Ldb + column;
        GemmPacking<T, TKernel>.PackB(op.TransB, block, op.Ldb, kc, columns, packed);
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}

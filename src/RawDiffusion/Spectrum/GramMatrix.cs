using System.Buffers;
using RawDiffusion.Backends.Cpu;

namespace RawDiffusion.Spectrum;

/// <summary>
/// The float64 Gram matrix of a matrix's smaller side — A Aᵀ for a wide matrix, Aᵀ A for a tall one — whose
/// eigenvalues are the squared singular values. The matrix is read in slabs of about <see cref="SlabElements"/> values,
/// so the memory beyond the Gram matrix itself stays small however large the tensor is, and only the lower triangle of
/// the symmetric product is computed.
/// </summary>
internal static class GramMatrix
{
    /// <summary>4 Mi float64 values (32 MiB) per slab: wide enough for efficient GEMMs, small next to a large Gram matrix.</summary>
    public const int SlabElements = 1 << 22;

    /// <summary>Rows of G per GEMM of the lower-triangle update; the diagonal blocks' upper halves are the only extra work.</summary>
    private const int BlockSize = 128;

    /// <summary>
    /// The Gram matrix (order min(rows, columns)) in its lower triangle, which is all the eigensolver reads; the strict
    /// upper triangle is left unspecified. Throws when the matrix holds NaN or Inf.
    /// </summary>
    /// <remarks>
    /// The array is rented from <see cref="ArrayPool{T}.Shared"/> (it may be longer than order²); the caller returns
    /// it. Fresh multi-MiB arrays are slow on the (virtual) benchmark machine: the pages of a new array are faulted in
    /// by the first GEMM that writes them, which at order 1024 doubled the time of the product (about 0.05 against
    /// 0.025 s), while a reused array's pages are already resident.
    /// </remarks>
    public static double[] Compute(IMatrixSource source, out int order)
    {
        int rows = source.Rows, columns = source.Columns;
        bool wide = rows <= columns;
        order = wide ? rows : columns;
        if ((long)order * order > Array.MaxLength)
        {
            throw new ArgumentException($"{source.Description} is {rows}x{columns}; its {order}x{order} Gram matrix exceeds one .NET array");
        }
        int length = wide ? columns : rows;
        double[] gram = ArrayPool<double>.Shared.Rent(order * order);
        if (order == 0)
        {
            return gram;
        }
        int slab = Math.Clamp(SlabElements / order, 1, length);
        double[] buffer = ArrayPool<double>.Shared.Rent(order * slab);
        try
        {
            ReadAndMultiply(source, gram, order, buffer, slab);
        }
        catch
        {
            ArrayPool<double>.Shared.Return(gram);
            throw;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(buffer);
        }
        return gram;
    }

    /// <summary>G = the Gram matrix, one slab of the matrix at a time; the first slab's product overwrites G's stale contents.</summary>
    private static void ReadAndMultiply(IMatrixSource source, double[] gram, int order, double[] buffer, int slab)
    {
        int rows = source.Rows, columns = source.Columns;
        bool wide = rows <= columns;
        int length = wide ? columns : rows;
        for (int start = 0; start < length; start += slab)
        {
            double beta = start == 0 ? 0 : 1;
            int count = Math.Min(slab, length - start);
            if (wide)
            {
                // Columns [start, start+count): a rows×count block, G += B Bᵀ.
                source.ReadBlock(0, rows, start, count, buffer);
                MatrixEntries.RequireFinite(source, buffer.AsSpan(0, rows * count), count, 0, start);
                AddLowerProduct(gram, order, buffer, count, beta, transposed: false);
            }
            else
            {
                // Rows [start, start+count): a count×columns block, G += Bᵀ B.
                source.ReadBlock(start, count, 0, columns, buffer);
                MatrixEntries.RequireFinite(source, buffer.AsSpan(0, count * columns), columns, start, 0);
                AddLowerProduct(gram, order, buffer, count, beta, transposed: true);
            }
        }
    }

    /// <summary>
    /// G ← beta G + the lower triangle of B Bᵀ (B order×depth, not transposed) or Bᵀ B (B depth×order, transposed) to G, one
    /// single-threaded GEMM per block of rows: the rows [i, i+BlockSize) against columns [0, i+BlockSize), so only the
    /// upper halves of the diagonal blocks are computed beyond the triangle. The blocks are handed out to the cores one
    /// at a time, largest first, so that on a shared machine a core that is not scheduled holds up at most one block.
    /// </summary>
    private static void AddLowerProduct(double[] gram, int order, double[] b, int depth, double beta, bool transposed)
    {
        int blocks = (order + BlockSize - 1) / BlockSize;
        void Block(int index)
        {
            // Index 0 is the last (widest) block.
            int i = (blocks - 1 - index) * BlockSize;
            int rowsI = Math.Min(BlockSize, order - i);
            int columns = i + rowsI;
            Span<double> target = gram.AsSpan((int)((long)i * order));
            if (transposed)
            {
                CpuGemm.DgemmOnThisThread(true, false, rowsI, columns, depth, 1, b.AsSpan(i), order, b, order, beta, target, order);
            }
            else
            {
                CpuGemm.DgemmOnThisThread(false, true, rowsI, columns, depth, 1, b.AsSpan(i * depth), depth, b, depth, beta, target, order);
            }
        }
        if (blocks == 1 || Environment.ProcessorCount == 1)
        {
            Block(0);
            return;
        }
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, Block);
    }
}

using RawDiffusion.Backends.Cpu;

namespace RawDiffusion.Spectrum;

/// <summary>
/// The float64 Gram matrix of a matrix's smaller side — A Aᵀ for a wide matrix, Aᵀ A for a tall one — whose
/// eigenvalues are the squared singular values. The matrix is read in slabs of about <see cref="SlabElements"/> values,
/// so the memory beyond the Gram matrix itself stays small however large the tensor is, and only the lower blocks of
/// the symmetric product are computed.
/// </summary>
internal static class GramMatrix
{
    /// <summary>4 Mi float64 values (32 MiB) per slab: wide enough for efficient GEMMs, small next to a large Gram matrix.</summary>
    public const int SlabElements = 1 << 22;

    /// <summary>Rows/columns of G per block of the blocked symmetric update.</summary>
    private const int BlockSize = 256;

    /// <summary>The Gram matrix (order min(rows, columns), both triangles filled). Throws when the matrix holds NaN or Inf.</summary>
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
        var gram = new double[(long)order * order];
        if (order == 0)
        {
            return gram;
        }
        int slab = Math.Clamp(SlabElements / order, 1, length);
        var buffer = new double[(long)order * slab];
        for (int start = 0; start < length; start += slab)
        {
            int count = Math.Min(slab, length - start);
            if (wide)
            {
                // Columns [start, start+count): a rows×count block, G += B Bᵀ.
                source.ReadBlock(0, rows, start, count, buffer);
                MatrixEntries.RequireFinite(source, buffer.AsSpan(0, rows * count), count, 0, start);
                AddLowerProduct(gram, order, buffer, count, transposed: false);
            }
            else
            {
                // Rows [start, start+count): a count×columns block, G += Bᵀ B.
                source.ReadBlock(start, count, 0, columns, buffer);
                MatrixEntries.RequireFinite(source, buffer.AsSpan(0, count * columns), columns, start, 0);
                AddLowerProduct(gram, order, buffer, count, transposed: true);
            }
        }
        for (int r = 0; r < order; r++)
        {
            for (int c = r + 1; c < order; c++)
            {
                gram[(long)r * order + c] = gram[(long)c * order + r];
            }
        }
        return gram;
    }

    /// <summary>
    /// Adds the lower blocks of B Bᵀ (B order×depth, not transposed) or Bᵀ B (B depth×order, transposed) to G;
    /// diagonal blocks are computed whole, the strict upper blocks are skipped.
    /// </summary>
    private static void AddLowerProduct(double[] gram, int order, double[] b, int depth, bool transposed)
    {
        for (int i = 0; i < order; i += BlockSize)
        {
            int rowsI = Math.Min(BlockSize, order - i);
            for (int j = 0; j <= i; j += BlockSize)
            {
                int rowsJ = Math.Min(BlockSize, order - j);
                Span<double> target = gram.AsSpan((int)((long)i * order + j));
                if (transposed)
                {
                    CpuGemm.Dgemm(true, false, rowsI, rowsJ, depth, 1, b.AsSpan(i), order, b.AsSpan(j), order, 1, target, order);
                }
                else
                {
                    CpuGemm.Dgemm(false, true, rowsI, rowsJ, depth, 1, b.AsSpan(i * depth), depth, b.AsSpan(j * depth), depth, 1, target, order);
                }
            }
        }
    }
}

namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// How the parallel driver cuts one shared B block's share of C (m x n) into work items: RowChunks x ColumnChunks
/// rectangles, boundaries on whole micro-tiles so that only the outer edge of C takes the edge-tile path.
/// </summary>
internal readonly record struct GemmWorkSplit(int M, int N, int RowChunk, int RowChunks, int ColumnChunk, int ColumnChunks)
{
    /// <summary>
    /// Several items per thread, taken dynamically, so that a thread delayed by another process on a shared machine
    /// leaves its remaining items to the others instead of holding up the whole product.
    /// </summary>
    private const int ItemsPerThread = 4;

    public int Count => RowChunks * ColumnChunks;

    /// <summary>
    /// Prefers cutting rows: each item packs its own rows of A, so cutting columns as well repacks those rows once per
    /// column chunk. Columns are cut only when there are too few rows to give every thread enough items.
    /// </summary>
    public static GemmWorkSplit For(int m, int n, int rowUnit, int columnUnit, int maxRowChunk, int threads)
    {
        int target = threads * ItemsPerThread;
        int rowChunk = Math.Clamp(RoundUp(DivideRoundingUp(m, target), rowUnit), rowUnit, Math.Max(rowUnit, maxRowChunk));
        int rowChunks = DivideRoundingUp(m, rowChunk);
        int columnChunks = Math.Clamp(DivideRoundingUp(target, rowChunks), 1, DivideRoundingUp(n, columnUnit));
        int columnChunk = RoundUp(DivideRoundingUp(n, columnChunks), columnUnit);
        return new GemmWorkSplit(m, n, rowChunk, rowChunks, columnChunk, DivideRoundingUp(n, columnChunk));
    }

    /// <summary>The rectangle of C that item <paramref name="index"/> computes.</summary>
    public (int Row, int Rows, int Column, int Columns) Item(int index)
    {
        int row = index / ColumnChunks * RowChunk;
        int column = index % ColumnChunks * ColumnChunk;
        return (row, Math.Min(RowChunk, M - row), column, Math.Min(ColumnChunk, N - column));
    }

    private static int DivideRoundingUp(int value, int divisor) => (int)(((long)value + divisor - 1) / divisor);

    private static int RoundUp(int value, int multiple) => DivideRoundingUp(value, multiple) * multiple;
}

namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// A split of an m x n output into rowParts x columnParts rectangles, one per thread, with boundaries on
/// whole micro-tiles so that only the outer edge of C ever needs the slower edge-tile path.
/// </summary>
internal readonly record struct ThreadGrid(int M, int N, int RowUnit, int ColumnUnit, int RowParts, int ColumnParts)
{
    public int Count => RowParts * ColumnParts;

    /// <summary>
    /// Chooses the factorisation of <paramref name="threads"/> that packs the least: every column part
    /// packs all rows of its A slice again and every row part packs its B slice again, so the packing work
    /// is proportional to columnParts * m + rowParts * n. Ties go to splitting rows, whose A slices are smaller.
    /// </summary>
    public static ThreadGrid For(int m, int n, int rowUnit, int columnUnit, int threads)
    {
        // A prime thread count larger than both unit counts has no valid factorisation; use fewer threads.
        for (int count = threads; count > 1; count--)
        {
            if (TryFactorise(m, n, rowUnit, columnUnit, count, out ThreadGrid grid))
            {
                return grid;
            }
        }

        return new ThreadGrid(m, n, rowUnit, columnUnit, 1, 1);
    }

    private static bool TryFactorise(int m, int n, int rowUnit, int columnUnit, int threads, out ThreadGrid grid)
    {
        long rowUnits = ((long)m + rowUnit - 1) / rowUnit;
        long columnUnits = ((long)n + columnUnit - 1) / columnUnit;
        grid = default;
        double bestCost = double.MaxValue;
        for (int rowParts = 1; rowParts <= threads; rowParts++)
        {
            int columnParts = threads / rowParts;
            if (rowParts * columnParts != threads || rowParts > rowUnits || columnParts > columnUnits)
            {
                continue;
            }

            double cost = (double)columnParts * m + (double)rowParts * n;
            if (cost <= bestCost)
            {
                bestCost = cost;
                grid = new ThreadGrid(m, n, rowUnit, columnUnit, rowParts, columnParts);
            }
        }

        return bestCost < double.MaxValue;
    }

    /// <summary>The rectangle of C that part <paramref name="index"/> computes.</summary>
    public (int Row, int Rows, int Column, int Columns) Cell(int index)
    {
        var (row, rows) = Split(M, RowUnit, RowParts, index / ColumnParts);
        var (column, columns) = Split(N, ColumnUnit, ColumnParts, index % ColumnParts);
        return (row, rows, column, columns);
    }

    private static (int Start, int Length) Split(int length, int unit, int parts, int part)
    {
        long units = ((long)length + unit - 1) / unit;
        long start = units * part / parts * unit;
        long end = Math.Min(length, units * (part + 1) / parts * unit);
        return ((int)start, (int)(end - start));
    }
}

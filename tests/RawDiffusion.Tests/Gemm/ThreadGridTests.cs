using RawDiffusion.Backends.Cpu;

namespace RawDiffusion.Tests.Gemm;

public class ThreadGridTests
{
    [Theory]
    [InlineData(1024, 1024, 2)]
    [InlineData(100, 5000, 4)]
    [InlineData(37, 65, 6)]
    [InlineData(12, 1000, 3)]
    [InlineData(5, 5, 8)]
    public void CellsTileTheOutputExactlyOnWholeMicroTiles(int m, int n, int threads)
    {
        var grid = ThreadGrid.For(m, n, 12, 32, threads);
        Assert.InRange(grid.Count, 1, threads);
        var covered = new int[m * n];
        for (int cell = 0; cell < grid.Count; cell++)
        {
            var (row, rows, column, columns) = grid.Cell(cell);
            Assert.Equal(0, row % 12);
            Assert.Equal(0, column % 32);
            Assert.True(rows > 0 && columns > 0, $"cell {cell} of {grid} is empty");
            for (int i = row; i < row + rows; i++)
            {
                for (int j = column; j < column + columns; j++)
                {
                    covered[i * n + j]++;
                }
            }
        }

        Assert.True(Array.TrueForAll(covered, count => count == 1), $"{grid} does not cover every element exactly once");
    }

    [Fact]
    public void SquareProblemsSplitRows() =>
        Assert.Equal((2, 1), (ThreadGrid.For(1024, 1024, 12, 32, 2).RowParts, ThreadGrid.For(1024, 1024, 12, 32, 2).ColumnParts));

    [Fact]
    public void WideProblemsSplitColumns() =>
        Assert.Equal(1, ThreadGrid.For(24, 4096, 12, 32, 2).RowParts);
}

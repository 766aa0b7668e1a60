using RawDiffusion.Backends.Cpu;

namespace RawDiffusion.Tests.Gemm;

public class GemmWorkSplitTests
{
    [Theory]
    [InlineData(1024, 1024, 2)]
    [InlineData(100, 5000, 4)]
    [InlineData(37, 65, 6)]
    [InlineData(12, 1000, 3)]
    [InlineData(5, 5, 8)]
    [InlineData(1, 1, 2)]
    [InlineData(4000, 33, 2)]
    public void ItemsTileTheOutputExactlyOnWholeMicroTiles(int m, int n, int threads)
    {
        var split = GemmWorkSplit.For(m, n, 12, 32, 780, threads);
        Assert.True(split.RowChunk <= 780, $"{split} exceeds the A block");
        var covered = new int[m * n];
        for (int index = 0; index < split.Count; index++)
        {
            var (row, rows, column, columns) = split.Item(index);
            Assert.Equal(0, row % 12);
            Assert.Equal(0, column % 32);
            Assert.True(rows > 0 && columns > 0, $"item {index} of {split} is empty");
            for (int i = row; i < row + rows; i++)
            {
                for (int j = column; j < column + columns; j++)
                {
                    covered[i * n + j]++;
                }
            }
        }

        Assert.True(Array.TrueForAll(covered, count => count == 1), $"{split} does not cover every element exactly once");
    }

    [Fact]
    public void TallProblemsAreCutIntoRowsOnly()
    {
        var split = GemmWorkSplit.For(1024, 1024, 12, 32, 780, 2);
        Assert.Equal(1, split.ColumnChunks);
        Assert.True(split.Count >= 8, $"{split} gives each thread fewer than four items");
    }

    [Fact]
    public void ShortProblemsAreCutIntoColumnsToo()
    {
        var split = GemmWorkSplit.For(12, 4096, 12, 32, 780, 2);
        Assert.Equal(1, split.RowChunks);
        Assert.Equal(8, split.ColumnChunks);
    }
}

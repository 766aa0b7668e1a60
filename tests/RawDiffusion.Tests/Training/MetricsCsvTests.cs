using RawDiffusion.Tests.IO;
using RawDiffusion.Training;

namespace RawDiffusion.Tests.Training;

public class MetricsCsvTests
{
    static Dictionary<string, double> Row(double loss, double lr) => new() { ["loss"] = loss, ["lr"] = lr };

    [Fact]
    public void WritesHeaderFromFirstRowAndRoundTripsEveryDouble()
    {
        using var folder = new TempFolder();
        string path = folder.File("sub/metrics.csv");
        double[] values = [0.1, 1.0 / 3, double.Epsilon, -1e300, double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0];
        using (var csv = new MetricsCsv(path))
            for (int i = 0; i < values.Length; i++) csv.Append(i * 2, new Dictionary<string, double> { ["loss"] = values[i], ["grad_norm"] = i });

        string[] lines = File.ReadAllLines(path);
        Assert.Equal("step,loss,grad_norm", lines[0]);
        Assert.Equal("2,0.3333333333333333,1", lines[2]);
        var rows = MetricsCsv.ReadAll(path);
        Assert.Equal(values.Length, rows.Count);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(i * 2, rows[i].Step);
            Assert.Equal(BitConverter.DoubleToInt64Bits(values[i]), BitConverter.DoubleToInt64Bits(rows[i].Values["loss"]));
            Assert.Equal(i, rows[i].Values["grad_norm"]);
        }
    }

    [Fact]
    public void AppendsToAnExistingFileAfterItsLastStep()
    {
        using var folder = new TempFolder();
        string path = folder.File("metrics.csv");
        using (var csv = new MetricsCsv(path)) csv.Append(0, Row(1, 2));
        using (var csv = new MetricsCsv(path))
        {
            csv.Append(1, new Dictionary<string, double> { ["lr"] = 4, ["loss"] = 3 });
            Assert.Equal(["loss", "lr"], csv.Columns!);
            var e = Assert.Throws<ArgumentException>(() => csv.Append(1, Row(5, 6)));
            Assert.Contains("step 1", e.Message);
        }
        Assert.Equal(["step,loss,lr", "0,1,2", "1,3,4"], File.ReadAllLines(path));
    }

    [Fact]
    public void DropFromKeepsEarlierRowsAndATornLastLineGoes()
    {
        using var folder = new TempFolder();
        string path = folder.File("metrics.csv");
        File.WriteAllText(path, "step,loss,lr\n0,1,2\n1,3,4\n2,5,6\n3,7,8\n4,9");

        using (var csv = new MetricsCsv(path))
        {
            csv.DropFrom(2);
            Assert.Equal("step,loss,lr\n0,1,2\n1,3,4\n", File.ReadAllText(path));
            csv.Append(2, Row(10, 11));
        }
        Assert.Equal("step,loss,lr\n0,1,2\n1,3,4\n2,10,11\n", File.ReadAllText(path));

        using (var csv = new MetricsCsv(path)) csv.DropFrom(9);
        Assert.Equal("step,loss,lr\n0,1,2\n1,3,4\n2,10,11\n", File.ReadAllText(path));

        // From step 0 the run starts over and picks its own columns.
        using (var csv = new MetricsCsv(path))
        {
            csv.DropFrom(0);
            Assert.Equal("", File.ReadAllText(path));
            csv.Append(0, new Dictionary<string, double> { ["kl"] = 1 });
        }
        Assert.Equal("step,kl\n0,1\n", File.ReadAllText(path));
        Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp"));
    }

    [Fact]
    public void RowsMustKeepTheColumns()
    {
        using var folder = new TempFolder();
        using var csv = new MetricsCsv(folder.File("metrics.csv"));
        csv.Append(0, Row(1, 2));
        var e = Assert.Throws<ArgumentException>(() => csv.Append(1, new Dictionary<string, double> { ["loss"] = 1 }));
        Assert.Contains("metrics.csv", e.Message);
        Assert.Contains("[loss, lr]", e.Message);
        Assert.Throws<ArgumentException>(() => new MetricsCsv(folder.File("other.csv")).Append(0, new Dictionary<string, double> { ["a,b"] = 1 }));
    }

    [Theory]
    [InlineData("loss,lr\n0,1,2\n", "line 1", "'step'")]
    [InlineData("step,loss,loss\n", "line 1", "'loss'")]
    [InlineData("step,loss\n0,1\n1\n", "line 3", "1 field(s)")]
    [InlineData("step,loss\n0,1\nx,2\n", "line 3", "'x'")]
    [InlineData("step,loss\n0,1\n1,abc\n", "line 3", "column 'loss' is 'abc'")]
    [InlineData("step,loss\n3,1\n2,1\n", "line 3", "step 2 follows step 3")]
    [InlineData("step,loss\n0,1,5\n", "line 2", "3 field(s)")]
    public void ParseErrorsNameTheFileAndLine(string content, string line, string detail)
    {
        using var folder = new TempFolder();
        string path = folder.File("bad.csv");
        File.WriteAllText(path, content);
        var e = Assert.Throws<FormatException>(() => MetricsCsv.ReadAll(path));
        Assert.Contains("bad.csv", e.Message);
        Assert.Contains(line + ":", e.Message);
        Assert.Contains(detail, e.Message);
    }

    [Fact]
    public void ReadAllOfAMissingFileNamesIt()
    {
        using var folder = new TempFolder();
        var e = Assert.Throws<FileNotFoundException>(() => MetricsCsv.ReadAll(folder.File("none.csv")));
        Assert.Contains("none.csv", e.Message);
    }
}

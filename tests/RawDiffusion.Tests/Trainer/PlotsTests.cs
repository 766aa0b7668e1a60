using RawDiffusion.Tests.IO;
using RawDiffusion.Trainer;
using RawDiffusion.Training;

namespace RawDiffusion.Tests.Trainer;

public class PlotsTests
{
    static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    static void AssertPng(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(PngSignature, bytes[..8]);
        Assert.True(bytes.Length > 10_000, $"{path} is only {bytes.Length} bytes");
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LossCurvesRendersAPng(bool logScale)
    {
        using var folder = new TempFolder();
        string csvPath = folder.File("metrics.csv");
        using (var csv = new MetricsCsv(csvPath))
            for (int s = 0; s < 200; s++)
                csv.Append(s, new Dictionary<string, double> { ["loss"] = 2 * Math.Exp(-s / 40.0) + 0.01, ["kl"] = 0.5 / (1 + s) });
        string png = folder.File("plots/loss.png");

        Plots.LossCurves(csvPath, png, "VAE training", logScale);
        AssertPng(png);
    }

    [Fact]
    public void LossCurvesOfAnEmptyFileNamesIt()
    {
        using var folder = new TempFolder();
        string csvPath = folder.File("empty.csv");
        File.WriteAllText(csvPath, "");
        var e = Assert.Throws<FormatException>(() => Plots.LossCurves(csvPath, folder.File("loss.png"), "t"));
        Assert.Contains("empty.csv", e.Message);
    }

    [Fact]
    public void AccuracyDistributionsRendersAPng()
    {
        using var folder = new TempFolder();
        var random = new Random(1);
        IReadOnlyList<double> Around(double mean, int n) => Enumerable.Range(0, n).Select(_ => mean + 0.05 * (random.NextDouble() - 0.5)).ToList();
        string png = folder.File("accuracy.png");

        Plots.AccuracyDistributions(png, "Fashion-MNIST 5-way tasks", [("generated", Around(0.8, 50)), ("zoo", Around(0.85, 20)), ("random init", Around(0.2, 50))]);
        AssertPng(png);
        Assert.Throws<ArgumentException>(() => Plots.AccuracyDistributions(png, "t", [("empty", [])]));
    }
}

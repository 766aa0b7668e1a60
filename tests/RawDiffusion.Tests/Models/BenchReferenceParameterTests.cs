using System.Globalization;
using RawDiffusion.Data;
using RawDiffusion.Models;
using RawDiffusion.Nn;

namespace RawDiffusion.Tests.Models;

/// <summary>docs/bench/cpu.md's train-step table holds the parameter counts of the PyTorch networks in
/// tools/bench/torch_reference.py, written only when they equal ours. Checking our d2nwg-small networks against that
/// table catches an architecture change on our side that the PyTorch reference (and the published timings) have not
/// followed, without running torch.</summary>
public class BenchReferenceParameterTests
{
    const string Section = "## Training steps (d2nwg-small)";
    const string Column = "parameters (PyTorch)";

    static readonly Dictionary<string, Func<ModelConfig, Module>> Networks = new()
    {
        ["weight VAE"] = config => new WeightVae(config.Vae, new Generator(1)),
        ["UNet"] = config => new UNet(config.UNet, new Generator(1)),
        ["dataset encoder"] = config => new SetTransformerEncoder(config.DatasetEncoder, new Generator(1)),
    };

    [Fact]
    public void D2nwgSmallNetworksHaveThePyTorchReferenceParameterCounts()
    {
        string report = Path.Combine(DataLocator.FindRepositoryRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("repository not found"), "docs", "bench", "cpu.md");
        Dictionary<string, long> reference = ReadTable(report);
        Assert.Equal(Networks.Keys.Order(), reference.Keys.Order());
        var config = ModelConfig.Preset("d2nwg-small");
        foreach (var (title, build) in Networks)
        {
            using Module model = build(config);
            Assert.True(reference[title] == model.ParameterCount,
                $"{title}: ours has {model.ParameterCount:N0} parameters, the PyTorch reference in {report} has {reference[title]:N0}. " +
                "Change tools/bench/torch_reference.py to the same architecture and rerun `dotnet run -c Release --project tools/Bench -- train-step`, which rewrites the table.");
        }
    }

    /// <summary>Network title -> the "parameters (PyTorch)" column of the section's table.</summary>
    static Dictionary<string, long> ReadTable(string path)
    {
        string[] lines = File.ReadAllLines(path);
        int start = Array.FindIndex(lines, line => line.TrimEnd() == Section);
        if (start < 0) throw new InvalidDataException($"{path}: no \"{Section}\" section");
        int header = Array.FindIndex(lines, start, line => line.StartsWith("| network |", StringComparison.Ordinal));
        if (header < 0) throw new InvalidDataException($"{path}: no table in \"{Section}\"");
        string[] Cells(string line) => line.Trim().Trim('|').Split('|').Select(cell => cell.Trim()).ToArray();
        int column = Array.IndexOf(Cells(lines[header]), Column);
        if (column < 0) throw new InvalidDataException($"{path}: the \"{Section}\" table has no \"{Column}\" column");
        var counts = new Dictionary<string, long>();
        // Rows follow the header and its |---| separator line, up to the first line outside the table.
        for (int row = header + 2; row < lines.Length && lines[row].StartsWith('|'); row++)
        {
            string[] cells = Cells(lines[row]);
            counts[cells[0]] = long.Parse(cells[column], NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        }
        return counts;
    }
}

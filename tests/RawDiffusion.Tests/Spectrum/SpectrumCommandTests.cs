using System.Text.Json;
using RawDiffusion.Spectrum;
using RawDiffusion.Trainer;

namespace RawDiffusion.Tests.Spectrum;

public sealed class SpectrumCommandTests : IDisposable
{
    readonly string output = Path.Combine(Path.GetTempPath(), $"rawdiffusion-spectrum-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
    }

    [Fact]
    public void WritesJsonYamlAndPlotsForAShardedCheckpoint()
    {
        string path = Path.Combine(CheckpointScanTests.Folder, "sharded");
        int code = SpectrumCommand.Run(new SpectrumCommand.Options(path, output, 50, SnrFormula.Spectrum, "cpu", null, null, []));
        Assert.Equal(0, code);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "snr.json")));
        var matrices = json.RootElement.GetProperty("matrices").EnumerateArray().ToList();
        Assert.Equal(4, matrices.Count);
        Assert.Equal("model.norm.weight", json.RootElement.GetProperty("skipped")[0].GetProperty("name").GetString());

        // Top 50% of the two q_proj layers is the one with the larger Spectrum SNR; groups of one keep none (floor).
        var q = matrices.Where(m => m.GetProperty("group").GetString() == "self_attn.q_proj")
            .OrderByDescending(m => m.GetProperty("spectrum_snr").GetDouble()).First();
        string expectedModule = q.GetProperty("name").GetString()![..^".weight".Length];
        string[] yaml = File.ReadAllLines(Path.Combine(output, "unfrozen_parameters.yaml"));
        Assert.Contains("unfrozen_parameters:", yaml);
        Assert.Equal(["# self_attn.q_proj layers", $"- {expectedModule}"], yaml.SkipWhile(l => l != "# self_attn.q_proj layers").Take(2));
        Assert.Equal(1, yaml.Count(l => l.StartsWith("- ", StringComparison.Ordinal)));

        string plots = Path.Combine(output, "plots");
        Assert.True(File.Exists(Path.Combine(plots, "snr-spectrum.png")));
        Assert.True(File.Exists(Path.Combine(plots, "snr-paper.png")));
        Assert.Equal(3, Directory.GetFiles(plots, "density-*.png").Length);   // one per group
    }

    [Fact]
    public void MissingCudaIsAClearError()
    {
        if (RawDiffusion.Cuda.CudaBackend.TryCreate(out var cuda, out _))
        {
            cuda.Dispose();
            Assert.Skip("a CUDA device is present, so --device cuda does not fail");
        }
        var error = Assert.Throws<InvalidOperationException>(() => SpectrumCommand.Run(new SpectrumCommand.Options(
            Path.Combine(CheckpointScanTests.Folder, "weights-f32.safetensors"), output, 50, SnrFormula.Spectrum, "cuda", null, null, [])));
        Assert.StartsWith("--device cuda: no usable CUDA device", error.Message);
    }
}

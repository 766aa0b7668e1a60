using System.Text.Json;
using RawDiffusion.Language;
using RawDiffusion.Models.Language;
using RawDiffusion.Spectrum;
using RawDiffusion.Trainer;

namespace RawDiffusion.Tests.Language;

/// <summary>Layer selection by the spectrum command's SNR: computed on a checkpoint, read from its snr.json, or read from
/// its unfrozen_parameters.yaml, all three choose what a naive ranking of snr.json's numbers chooses.</summary>
public sealed class LayerSelectionTests : IDisposable
{
    static readonly LlamaConfig Model = new(VocabSize: 258, HiddenSize: 24, IntermediateSize: 40, NumHiddenLayers: 6, NumAttentionHeads: 2, MaxPositionEmbeddings: 16);
    static readonly string[] Modules = ["self_attn.q_proj", "self_attn.o_proj", "mlp.up_proj", "mlp.down_proj"];

    readonly string folder = Path.Combine(Path.GetTempPath(), $"rd-layer-selection-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    static LmGenerationSection Generation(LmSpectrumSection? spectrum) =>
        new(Modules, null, 64, new RawDiffusion.Models.VaeConfig(), new RawDiffusion.Models.UNetConfig(), new RawDiffusion.Models.DiffusionConfig(),
            new LmStageTraining(1, 1, 1, 0), new LmStageTraining(1, 1, 1, 0), 1, 1, 1, 1, spectrum);

    /// <summary>A model whose layers carry low-rank signals of different strengths over the random init, so the SNRs differ
    /// from layer to layer, saved as model.safetensors; the spectrum command is run on it.</summary>
    string Checkpoint(double percent, SnrFormula formula)
    {
        using var model = new LlamaForCausalLM(Model, new Generator(7));
        var state = model.StateDict();
        var rng = new Random(11);
        foreach (var (name, tensor) in state.Where(p => p.Key.StartsWith("model.layers.", StringComparison.Ordinal) && p.Value.Shape.Length == 2))
        {
            int rows = tensor.Shape[0], columns = tensor.Shape[1], rank = rng.Next(1, 4);
            var w = tensor.ToFloat32Array();
            for (int r = 0; r < rank; r++)
            {
                double strength = 0.02 * Math.Sqrt(rows * columns) * rng.NextDouble() * 3;
                var u = Enumerable.Range(0, rows).Select(_ => rng.NextDouble() - 0.5).ToArray();
                var v = Enumerable.Range(0, columns).Select(_ => rng.NextDouble() - 0.5).ToArray();
                double nu = Math.Sqrt(u.Sum(x => x * x)), nv = Math.Sqrt(v.Sum(x => x * x));
                for (int i = 0; i < rows; i++)
                    for (int j = 0; j < columns; j++) w[i * columns + j] += (float)(strength * u[i] / nu * v[j] / nv);
            }
            Refine.Assign(tensor, w);
        }
        string modelFolder = Path.Combine(folder, "base");
        LlamaFiles.Save(modelFolder, model);
        Assert.Equal(0, SpectrumCommand.Run(new SpectrumCommand.Options(modelFolder, Path.Combine(folder, "spectrum"), percent, formula, "cpu", null, null, [])));
        return Path.Combine(modelFolder, LlamaFiles.WeightsFile);
    }

    /// <summary>The reference: snr.json parsed here, each module type's layers ranked by a plain selection loop (highest SNR
    /// first, the lower layer on ties), the first ⌊6·P/100⌋ taken.</summary>
    static HashSet<string> NaiveTop(string snrJson, string field, double percent)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(snrJson));
        var chosen = new HashSet<string>();
        foreach (var module in Modules)
        {
            var layers = new List<(int Layer, double Snr, string Name)>();
            foreach (var m in document.RootElement.GetProperty("matrices").EnumerateArray())
            {
                string name = m.GetProperty("name").GetString()!;
                if (m.GetProperty("group").GetString() != module) continue;
                var value = m.GetProperty(field);
                layers.Add((m.GetProperty("layer").GetInt32(), value.ValueKind == JsonValueKind.String ? double.PositiveInfinity : value.GetDouble(), name));
            }
            Assert.Equal(6, layers.Count);
            int take = (int)Math.Floor(layers.Count * percent / 100);
            for (int k = 0; k < take; k++)
            {
                int best = -1;
                for (int i = 0; i < layers.Count; i++)
                    if (!chosen.Contains(layers[i].Name) && (best < 0 || layers[i].Snr > layers[best].Snr || (layers[i].Snr == layers[best].Snr && layers[i].Layer < layers[best].Layer)))
                        best = i;
                chosen.Add(layers[best].Name);
            }
        }
        return chosen;
    }

    [Theory]
    [InlineData(50, "spectrum")]
    [InlineData(34, "paper")]
    public void SnrSelectionEqualsANaiveRankingOfSnrJson(double percent, string rankBy)
    {
        var formula = rankBy == "paper" ? SnrFormula.Paper : SnrFormula.Spectrum;
        string weights = Checkpoint(percent, formula);
        string snrJson = Path.Combine(folder, "spectrum", "snr.json");
        var expected = NaiveTop(snrJson, rankBy == "paper" ? "paper_snr" : "spectrum_snr", percent);
        Assert.Equal(Modules.Length * (int)(6 * percent / 100), expected.Count);

        var computed = LayerSelection.Select(Model, Generation(new LmSpectrumSection(percent, rankBy)), weights);
        var fromJson = LayerSelection.Select(Model, Generation(new LmSpectrumSection(percent, rankBy, snrJson)), null);
        Assert.Equal(expected.Order(), computed.Tensors.Select(t => t.Name).Order());
        Assert.Equal(computed.Tensors.Select(t => t.Name), fromJson.Tensors.Select(t => t.Name));
        Assert.Equal(computed.Scores.Select(s => s.Snr), fromJson.Scores.Select(s => s.Snr));
        // State-dict order (layer by layer, module types in the model's order), and every score of a chosen layer is in the top.
        var order = computed.Tensors.Select(t => (Layer: int.Parse(t.Name.Split('.')[2]), Module: Array.IndexOf(LayerSelection.ModuleTypes, t.Name.Split('.')[3] + "." + t.Name.Split('.')[4]))).ToList();
        Assert.Equal(order.OrderBy(x => x.Layer).ThenBy(x => x.Module), order);
        Assert.Equal([40, 24], computed.Tensors.First(t => t.Name.EndsWith("up_proj.weight", StringComparison.Ordinal)).Shape);
    }

    [Fact]
    public void UnfrozenParametersYamlRoundTrips()
    {
        string weights = Checkpoint(50, SnrFormula.Spectrum);
        string yaml = Path.Combine(folder, "spectrum", "unfrozen_parameters.yaml");
        var list = UnfrozenParameters.Read(yaml);
        Assert.Equal(50, list.Percent);
        Assert.Equal(SnrFormula.Spectrum, list.Formula);
        Assert.Equal(["lm_head.weight", "model.embed_tokens.weight"], list.AlwaysUnfrozen);
        // What the report wrote is what its ranking chose, group by group.
        var report = SpectrumScan.Run(CheckpointMatrices.Open(weights), new CpuSingularValueSolver());
        Assert.Equal(report.TopPerGroup(50, SnrFormula.Spectrum).SelectMany(g => g.Top).Select(m => m.Tensor.Module.Module), list.Modules);
        Assert.Equal(list.Modules, UnfrozenParameters.Parse(report.UnfrozenParametersYaml(50, SnrFormula.Spectrum).Split('\n'), "text").Modules);

        var computed = LayerSelection.Select(Model, Generation(new LmSpectrumSection(50)), weights);
        var fromYaml = LayerSelection.Select(Model, Generation(new LmSpectrumSection(50, "spectrum", yaml)), null);
        Assert.Equal(computed.Tensors.Select(t => t.Name), fromYaml.Tensors.Select(t => t.Name));
        Assert.Equal(computed.Scores.Select(s => s.Selected), fromYaml.Scores.Select(s => s.Selected));

        var mismatch = Assert.Throws<ArgumentException>(() => LayerSelection.Select(Model, Generation(new LmSpectrumSection(25, "spectrum", yaml)), null));
        Assert.Contains("lists the top 50% by Spectrum SNR", mismatch.Message);
    }

    [Fact]
    public void SnrOfAnotherModelIsRefused()
    {
        Checkpoint(50, SnrFormula.Spectrum);
        var wider = Model with { HiddenSize = 32 };
        var error = Assert.Throws<InvalidDataException>(() => LayerSelection.Select(wider, Generation(new LmSpectrumSection(50, "spectrum", Path.Combine(folder, "spectrum", "snr.json"))), null));
        Assert.Contains("the SNR belongs to another model", error.Message);
        var deeper = Model with { NumHiddenLayers = 8 };
        error = Assert.Throws<InvalidDataException>(() => LayerSelection.Select(deeper, Generation(new LmSpectrumSection(50, "spectrum", Path.Combine(folder, "spectrum", "snr.json"))), null));
        Assert.Contains("no SNR for model.layers.6.self_attn.q_proj.weight", error.Message);
    }

    [Fact]
    public void FixedSelectionListsTheConfiguredModulesAndLayers()
    {
        var choice = LayerSelection.Select(Model, Generation(null) with { Layers = [4, 1] }, null);
        Assert.Equal(Modules.Length * 2, choice.Tensors.Count);
        Assert.Equal("model.layers.1.self_attn.q_proj.weight", choice.Tensors[0].Name);
        Assert.Equal(Modules.Length * 6, choice.Scores.Count);
        Assert.All(choice.Scores, s => Assert.Equal(s.Layer is 1 or 4, s.Selected));
    }
}

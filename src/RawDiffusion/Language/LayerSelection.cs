using System.Globalization;
using RawDiffusion.Models.Language;
using RawDiffusion.Spectrum;
using RawDiffusion.Zoo;

namespace RawDiffusion.Language;

/// <summary>One candidate layer of the selection: its tensor, module type, decoder layer, the SNR that ranked it (NaN when
/// the selection is fixed or read from a YAML list) and whether it was chosen.</summary>
public sealed record LayerScore(string Tensor, string ModuleType, int Layer, double Snr, bool Selected);

/// <summary>The generated tensors in state-dict order, every candidate layer's score, and the rule in words.</summary>
public sealed record LayerChoice(IReadOnlyList<TensorSpec> Tensors, IReadOnlyList<LayerScore> Scores, string Rule);

/// <summary>Which weight matrices of the LM are generated. Without <c>generation.spectrum</c>: every module type of
/// <c>generation.modules</c> in the decoder layers <c>generation.layers</c>. With it, D2NWG's rule (section 3.5, after
/// Spectrum): within each module type of <c>generation.modules</c>, the top P% of the decoder layers by Marchenko–Pastur
/// SNR, ⌊layers·P/100⌋ of them, as the <c>spectrum</c> command ranks them. The SNR is computed on the base checkpoint, or
/// read from the snr.json or unfrozen_parameters.yaml a <c>spectrum</c> run of that checkpoint wrote.</summary>
public static class LayerSelection
{
    public static readonly string[] ModuleTypes =
        ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"];

    public static string TensorName(int layer, string moduleType) => $"model.layers.{layer}.{moduleType}.weight";

    /// <summary>The selection of a run: the SNR (when ranked) is that of the run's base model.</summary>
    public static LayerChoice Select(LmRun run)
    {
        var g = run.Config.Generation ?? throw new ArgumentException($"{run.ConfigPath}: the config has no 'generation' section");
        if (g.Spectrum is { File: null } && !run.BaseDone)
            throw new FileNotFoundException($"{run.BaseFolder}: generation.spectrum ranks the base model's layers, but the base is not trained yet (run `lm train --out {run.Folder}`)");
        return Select(run.Config.Model.ToLlama(), g, Path.Combine(run.BaseFolder, LlamaFiles.WeightsFile));
    }

    /// <param name="baseWeights">The base model's model.safetensors, scanned when <c>generation.spectrum</c> names no file.</param>
    public static LayerChoice Select(LlamaConfig model, LmGenerationSection generation, string? baseWeights)
    {
        if (generation.Spectrum is not { } spectrum)
        {
            var layers = (generation.Layers ?? Enumerable.Range(0, model.NumHiddenLayers).ToArray()).Order().ToArray();
            var scores = (from l in Enumerable.Range(0, model.NumHiddenLayers)
                          from m in ModuleTypes where generation.Modules.Contains(m)
                          select new LayerScore(TensorName(l, m), m, l, double.NaN, layers.Contains(l))).ToList();
            return Choice(model, scores, $"fixed: {string.Join(", ", generation.Modules)} in layers {string.Join(", ", layers)}");
        }
        var formula = spectrum.Formula;
        string percent = spectrum.TopPercent.ToString(CultureInfo.InvariantCulture);
        if (spectrum.File is { } yaml && Path.GetExtension(yaml).ToLowerInvariant() is ".yaml" or ".yml")
        {
            var list = UnfrozenParameters.Read(yaml);
            if (list.Percent != spectrum.TopPercent || list.Formula != formula)
                throw new ArgumentException($"{yaml}: lists the top {list.Percent.ToString(CultureInfo.InvariantCulture)}% by {list.Formula} SNR, " +
                                            $"but generation.spectrum asks for the top {percent}% by {formula} SNR");
            var listed = list.Modules.Select(m => m + ".weight").ToHashSet();
            var scores = (from l in Enumerable.Range(0, model.NumHiddenLayers)
                          from m in ModuleTypes where generation.Modules.Contains(m)
                          select new LayerScore(TensorName(l, m), m, l, double.NaN, listed.Contains(TensorName(l, m)))).ToList();
            return Choice(model, scores, $"top {percent}% of layers per module type by {formula} SNR, as listed in {yaml}");
        }
        IReadOnlyList<SnrEntry> entries;
        string source;
        if (spectrum.File is { } json)
        {
            entries = SnrFile.Read(json);
            source = json;
        }
        else
        {
            if (baseWeights == null || !File.Exists(baseWeights))
                throw new FileNotFoundException($"{baseWeights}: generation.spectrum ranks the base model's layers, but the base weights are missing", baseWeights);
            var report = SpectrumScan.Run(CheckpointMatrices.Open(baseWeights), new CpuSingularValueSolver(), match: "model.layers.");
            entries = report.Matrices.Select(SnrEntry.From).ToList();
            source = "the base model";
        }
        var byName = entries.GroupBy(e => e.Name).ToDictionary(x => x.Key, x => x.First());
        var ranked = new List<(string Tensor, string Module, int Layer, double Snr)>();
        foreach (var m in ModuleTypes.Where(generation.Modules.Contains))
            for (int l = 0; l < model.NumHiddenLayers; l++)
            {
                string name = TensorName(l, m);
                if (!byName.TryGetValue(name, out var entry))
                    throw new InvalidDataException($"{source}: no SNR for {name}; scan the base model's folder itself (`spectrum runs/lm/base`)");
                if (!entry.Shape.SequenceEqual(Shape(model, m).Select(x => (long)x)))
                    throw new InvalidDataException($"{source}: {name} has shape [{string.Join(", ", entry.Shape)}], the model's is [{string.Join(", ", Shape(model, m))}]: the SNR belongs to another model");
                double snr = entry.Snr(formula);
                if (double.IsNaN(snr)) throw new InvalidDataException($"{source}: {name} has no {formula} SNR to rank by");
                ranked.Add((name, m, l, snr));
            }
        return Choice(model, TopPerModuleType(ranked, spectrum.TopPercent), $"top {percent}% of layers per module type by {formula} SNR of {source}");
    }

    /// <summary>Spectrum's rule within each module type: the ⌊count·percent/100⌋ layers of highest SNR (ties: lower layer first).</summary>
    public static IReadOnlyList<LayerScore> TopPerModuleType(IEnumerable<(string Tensor, string Module, int Layer, double Snr)> scores, double percent)
    {
        var result = new List<LayerScore>();
        foreach (var group in scores.GroupBy(s => s.Module))
        {
            var byLayer = group.OrderBy(s => s.Layer).ToList();
            var top = byLayer.OrderByDescending(s => s.Snr).Take((int)(byLayer.Count * percent / 100)).Select(s => s.Layer).ToHashSet();
            result.AddRange(byLayer.Select(s => new LayerScore(s.Tensor, s.Module, s.Layer, s.Snr, top.Contains(s.Layer))));
        }
        return result;
    }

    static LayerChoice Choice(LlamaConfig model, IReadOnlyList<LayerScore> scores, string rule)
    {
        // State-dict order: layer by layer, module types in the model's order (refine walks them in this order).
        var tensors = scores.Where(s => s.Selected).OrderBy(s => s.Layer).ThenBy(s => Array.IndexOf(ModuleTypes, s.ModuleType))
            .Select(s => new TensorSpec(s.Tensor, Shape(model, s.ModuleType))).ToList();
        if (tensors.Count == 0) throw new ArgumentException($"generation: the selection ({rule}) chooses no layer; raise generation.spectrum.topPercent or list more modules");
        return new LayerChoice(tensors, scores.OrderBy(s => Array.IndexOf(ModuleTypes, s.ModuleType)).ThenBy(s => s.Layer).ToList(), rule);
    }

    /// <summary>The weight shape [out, in] of a module type, as LlamaForCausalLM builds it.</summary>
    public static int[] Shape(LlamaConfig model, string moduleType) => moduleType switch
    {
        "mlp.gate_proj" or "mlp.up_proj" => [model.IntermediateSize, model.HiddenSize],
        "mlp.down_proj" => [model.HiddenSize, model.IntermediateSize],
        _ when ModuleTypes.Contains(moduleType) => [model.HiddenSize, model.HiddenSize],
        _ => throw new ArgumentException($"unknown module type '{moduleType}' (known: {string.Join(", ", ModuleTypes)})", nameof(moduleType)),
    };
}

using RawDiffusion.Models.Language;
using RawDiffusion.Zoo;

namespace RawDiffusion.Language;

/// <summary>Which weight matrices of the LM are generated: by module type and decoder layer, as the config lists them.
/// The paper picks the top P% of layers by Marchenko–Pastur SNR within each module type; `spectrum` (RawDiffusion.Spectrum)
/// computes that SNR and writes the top-P% list, but this selection does not read it yet.</summary>
public static class LayerSelection
{
    public static readonly string[] ModuleTypes =
        ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"];

    /// <summary>The selected tensors in state-dict order (layer by layer, module types in the model's order).</summary>
    public static IReadOnlyList<TensorSpec> Select(LlamaConfig model, LmGenerationSection generation)
    {
        var layers = (generation.Layers ?? Enumerable.Range(0, model.NumHiddenLayers).ToArray()).Order();
        return (from l in layers
                from m in ModuleTypes where generation.Modules.Contains(m)
                select new TensorSpec($"model.layers.{l}.{m}.weight", Shape(model, m))).ToList();
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

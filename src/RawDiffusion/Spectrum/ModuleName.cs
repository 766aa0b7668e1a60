using System.Globalization;

namespace RawDiffusion.Spectrum;

/// <summary>
/// How Spectrum groups a model's matrices: by the module-name suffix after the layer number, so
/// <c>model.layers.12.self_attn.q_proj.weight</c> is layer 12 of group <c>self_attn.q_proj</c>. A name whose module is
/// the numbered component itself (<c>0.weight</c> in a Sequential) groups as <c>prefix.#</c>; a name without a number
/// (<c>lm_head.weight</c>) is a group of its own.
/// </summary>
public readonly record struct ModuleName(string Module, string Group, int? Layer)
{
    public static ModuleName Parse(string tensorName)
    {
        string module = tensorName.EndsWith(".weight", StringComparison.Ordinal) ? tensorName[..^".weight".Length] : tensorName;
        string[] parts = module.Split('.');
        for (int i = 0; i < parts.Length; i++)
        {
            if (int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out int layer))
            {
                string suffix = string.Join('.', parts[(i + 1)..]);
                string prefix = string.Join('.', parts[..i]);
                string group = suffix.Length > 0 ? suffix : prefix.Length > 0 ? prefix + ".#" : "#";
                return new ModuleName(module, group, layer);
            }
        }
        return new ModuleName(module, module, null);
    }
}

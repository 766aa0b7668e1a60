using RawDiffusion.Backends;
using RawDiffusion.Ops;

namespace RawDiffusion;

public static partial class F
{
    /// <summary>Layer normalisation over the trailing dimensions <paramref name="normalizedShape"/>, as
    /// torch.nn.functional.layer_norm: each [normalizedShape] slice of <paramref name="x"/> is shifted to mean 0 and
    /// scaled to variance 1 (biased variance, plus <paramref name="eps"/>), then multiplied by <paramref name="weight"/>
    /// and shifted by <paramref name="bias"/> (both of shape normalizedShape, or null).</summary>
    public static Tensor LayerNorm(Tensor x, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        const string op = "layer_norm";
        Kernels.RequireFloating(x, op);
        int k = normalizedShape.Length;
        if (k == 0 || k > x.Rank || !ShapeMath.SameShape(x.Shape[^k..], normalizedShape))
            throw new ArgumentException($"{op}: normalized shape {ShapeMath.Format(normalizedShape)} must be the trailing dimensions of the input {ShapeMath.Format(x.Shape)}", nameof(normalizedShape));
        NormArguments.CheckPerChannel(weight, normalizedShape, x, op, nameof(weight));
        NormArguments.CheckPerChannel(bias, normalizedShape, x, op, nameof(bias));
        int n = (int)ShapeMath.Numel(normalizedShape);
        var layout = new NormLayout((int)ShapeMath.Numel(x.Shape[..^k]), n, 1, n, SharedAcrossOuter: false);
        return NormalizationFunction.Apply(x, weight, bias, layout, eps, null, out _, out _);
    }
}

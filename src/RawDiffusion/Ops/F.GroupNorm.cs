using RawDiffusion.Backends;
using RawDiffusion.Ops;

namespace RawDiffusion;

public static partial class F
{
    /// <summary>Group normalisation, as torch.nn.functional.group_norm: the channels of <paramref name="x"/> [N, C, *] are
    /// split into <paramref name="groups"/> groups, each (sample, group) block is normalised to mean 0 and variance 1
    /// (biased variance, plus <paramref name="eps"/>), then scaled and shifted per channel by <paramref name="weight"/>
    /// and <paramref name="bias"/> ([C] or null). One statistics pass and one normalising pass.</summary>
    public static Tensor GroupNorm(Tensor x, int groups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
        GroupNorm(x, groups, weight, bias, eps, NormActivation.None);

    /// <summary>F.Silu(F.GroupNorm(x, ...)) in one normalising pass (one kernel on a GPU instead of two), as every
    /// ResBlock of the VAE and the UNet applies it; same values and gradients as the composition.</summary>
    public static Tensor GroupNormSilu(Tensor x, int groups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
        GroupNorm(x, groups, weight, bias, eps, NormActivation.Silu);

    static Tensor GroupNorm(Tensor x, int groups, Tensor? weight, Tensor? bias, double eps, NormActivation activation)
    {
        const string op = "group_norm";
        Kernels.RequireFloating(x, op);
        if (x.Rank < 2) throw new ArgumentException($"{op}: input must be [N, C, *], got {ShapeMath.Format(x.Shape)}", nameof(x));
        int channels = x.Shape[1];
        if (groups <= 0 || channels % groups != 0)
            throw new ArgumentException($"{op}: {channels} channels of input {ShapeMath.Format(x.Shape)} cannot be split into {groups} groups", nameof(groups));
        NormArguments.CheckPerChannel(weight, [channels], x, op, nameof(weight));
        NormArguments.CheckPerChannel(bias, [channels], x, op, nameof(bias));
        var layout = new NormLayout(x.Shape[0], channels, (int)ShapeMath.Numel(x.Shape[2..]), channels / groups, SharedAcrossOuter: false);
        return NormalizationFunction.Apply(x, weight, bias, layout, eps, null, out _, out _, activation);
    }
}

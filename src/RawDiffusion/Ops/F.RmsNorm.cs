namespace RawDiffusion;

public static partial class F
{
    /// <summary>Root-mean-square normalisation over the last dimension (Zhang and Sennrich 2019, Llama's RMSNorm):
    /// y = x / sqrt(mean(x²) + eps) · weight. Composed of differentiable ops, so its gradient is autograd's.
    /// <paramref name="weight"/> has the size of the last dimension.</summary>
    public static Tensor RmsNorm(Tensor x, Tensor weight, double eps = 1e-6)
    {
        if (x.Rank == 0 || weight.Rank != 1 || weight.Shape[0] != x.Shape[^1])
            throw new ArgumentException($"rms_norm: weight {ShapeMath.Format(weight.Shape)} must match the last dimension of x {ShapeMath.Format(x.Shape)}", nameof(weight));
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "rms_norm: eps must be positive");
        var inverseRms = (x.Square().Mean([x.Rank - 1], keepDim: true) + eps).Rsqrt();
        return x * inverseRms * weight;
    }
}

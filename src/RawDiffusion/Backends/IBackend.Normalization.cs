namespace RawDiffusion.Backends;

/// <summary>How a normalisation reads a contiguous tensor: as [Outer, Channels, Inner]. The affine weight and bias hold
/// one value per channel; a mean/variance pair is shared by <see cref="GroupSize"/> consecutive channels and is separate
/// for each outer index unless <see cref="SharedAcrossOuter"/>.
/// LayerNorm: [rows, n, 1] with GroupSize n. GroupNorm: [N, C, spatial] with GroupSize C / groups.
/// BatchNorm: [N, C, spatial] with GroupSize 1, shared across N.</summary>
public readonly record struct NormLayout(int Outer, int Channels, int Inner, int GroupSize, bool SharedAcrossOuter)
{
    public int Groups => GroupSize == 0 ? 0 : Channels / GroupSize;

    /// <summary>How many mean/variance pairs there are.</summary>
    public int StatCount => SharedAcrossOuter ? Groups : Outer * Groups;

    /// <summary>How many elements each statistic is taken over.</summary>
    public long GroupCount => (long)GroupSize * Inner * (SharedAcrossOuter ? Outer : 1);

    public long Numel => (long)Outer * Channels * Inner;

    public int StatIndex(int outer, int channel) => (SharedAcrossOuter ? 0 : outer * Groups) + channel / GroupSize;
}

/// <summary>An activation applied in the normalising pass itself (GroupNorm + SiLU in every ResBlock).</summary>
public enum NormActivation
{
    None = 0,
    /// <summary>x·sigmoid(x), <see cref="UnaryOp.Silu"/>.</summary>
    Silu = 1,
}

/// <summary>Fused passes for layer, group and batch normalisation, so each costs one statistics pass and one
/// normalising pass forward, one reduction pass and one input-gradient pass backward. Every view is contiguous;
/// statistics views hold <see cref="NormLayout.StatCount"/> values, weight, bias and channel sums <see cref="NormLayout.Channels"/>.
/// rstd = 1 / sqrt(variance + eps) and x̂ = (x − mean)·rstd throughout.</summary>
public partial interface IBackend
{
    /// <summary>Mean and biased variance of every statistic group of x.</summary>
    void NormStatistics(StridedView x, NormLayout layout, StridedView mean, StridedView variance);

    /// <summary>y = activation(x̂·weight + bias) (weight 1 and bias 0 when null). With an activation, the value before it
    /// goes to <paramref name="preActivation"/> when given (the activation's backward needs it); one pass either way.</summary>
    void NormForward(StridedView x, StridedView mean, StridedView variance, double eps, StridedView? weight, StridedView? bias,
                     NormLayout layout, StridedView y, NormActivation activation = NormActivation.None, StridedView? preActivation = null);

    /// <summary>The reductions of the backward pass, in one pass over x and the output gradient g:
    /// statGradSum[k] = Σ g·w and statGradXhatSum[k] = Σ g·w·x̂ over statistic group k (for the input gradient);
    /// channelGradSum[c] = Σ g and channelGradXhatSum[c] = Σ g·x̂ over channel c (the bias and weight gradients).
    /// Outputs that are null are not computed.</summary>
    void NormBackwardSums(StridedView x, StridedView gradient, StridedView mean, StridedView variance, double eps, StridedView? weight,
                          NormLayout layout, StridedView? statGradSum, StridedView? statGradXhatSum,
                          StridedView? channelGradSum, StridedView? channelGradXhatSum);

    /// <summary>dx = rstd·(g·w − statGradSum/m − x̂·statGradXhatSum/m) with m = <see cref="NormLayout.GroupCount"/>;
    /// when the sums are null the statistics are constants (batch norm in eval mode) and dx = rstd·w·g.</summary>
    void NormBackward(StridedView x, StridedView gradient, StridedView mean, StridedView variance, double eps, StridedView? weight,
                      StridedView? statGradSum, StridedView? statGradXhatSum, NormLayout layout, StridedView dx);
}

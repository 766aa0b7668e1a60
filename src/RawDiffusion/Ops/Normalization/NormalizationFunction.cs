using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>Layer, group and batch normalisation: y = (x − mean)·rstd·w + b with statistics per group of a
/// <see cref="NormLayout"/>, by the backend's fused passes. Backward (analytic, with x̂ = (x − mean)·rstd and
/// m elements per group): dx = rstd·(g·w − mean(g·w) − x̂·mean(g·w·x̂)) when the statistics come from x, dx = rstd·w·g
/// when they are given constants (batch norm in eval mode); dw = Σ g·x̂ and db = Σ g per channel. With a fused
/// <see cref="NormActivation"/> the output is activation(y) in the same pass; the backward first turns the incoming
/// gradient into y's through the activation's own backward kernel (from y saved by the forward pass), exactly as the
/// separate activation op would.</summary>
internal sealed class NormalizationFunction : Function
{
    Tensor x = null!, mean = null!, variance = null!;
    Tensor? weight;
    Tensor? preActivation;
    NormActivation activation;
    NormLayout layout;
    double eps;
    bool statisticsFromInput;
    int[] affineShape = [];
    int weightInput = -1, biasInput = -1;

    /// <summary>Normalises <paramref name="x"/> read with <paramref name="layout"/>; with <paramref name="fixedStatistics"/>
    /// null the statistics are computed from x (and returned through <paramref name="mean"/> and
    /// <paramref name="variance"/>, biased), otherwise those are used as constants.</summary>
    public static Tensor Apply(Tensor x, Tensor? weight, Tensor? bias, NormLayout layout, double eps,
                               (Tensor Mean, Tensor Variance)? fixedStatistics, out Tensor mean, out Tensor variance,
                               NormActivation activation = NormActivation.None)
    {
        var xd = AxisRows.Dense(x);
        var wd = weight == null ? null : AxisRows.Dense(weight);
        var bd = bias == null ? null : AxisRows.Dense(bias);
        var backend = x.Backend;
        if (fixedStatistics is var (m, v))
        {
            mean = AxisRows.Dense(m);
            variance = AxisRows.Dense(v);
        }
        else
        {
            mean = Tensor.Empty([layout.StatCount], x.DType, backend);
            variance = Tensor.Empty([layout.StatCount], x.DType, backend);
            if (layout.StatCount > 0) backend.NormStatistics(xd.View, layout, mean.View, variance.View);
        }
        var y = Tensor.Empty(x.Shape, x.DType, backend);
        // The activation's backward needs the value before it, kept only when a gradient will flow.
        bool recording = GradMode.IsEnabled && (x.RequiresGrad || (weight?.RequiresGrad ?? false) || (bias?.RequiresGrad ?? false));
        var pre = activation != NormActivation.None && recording ? Tensor.Empty(x.Shape, x.DType, backend) : null;
        if (y.Numel > 0) backend.NormForward(xd.View, mean.View, variance.View, eps, wd?.View, bd?.View, layout, y.View, activation, pre?.View);

        var fn = new NormalizationFunction
        {
            x = xd, mean = mean, variance = variance, weight = wd, layout = layout, eps = eps, activation = activation, preActivation = pre,
            statisticsFromInput = fixedStatistics == null,
            affineShape = (weight ?? bias)?.ShapeArray ?? [],
        };
        var inputs = new List<Tensor> { x };
        if (weight != null) { fn.weightInput = inputs.Count; inputs.Add(weight); }
        if (bias != null) { fn.biasInput = inputs.Count; inputs.Add(bias); }
        return fn.Connect(y, [.. inputs]);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var grads = new Tensor?[Inputs.Length];
        if (activation != NormActivation.None) g = Kernels.Binary(ActivationBackward(activation), preActivation!, g);
        var gd = AxisRows.Dense(g);
        var backend = g.Backend;
        bool needX = NeedsGrad(0), needW = weightInput >= 0 && NeedsGrad(weightInput), needB = biasInput >= 0 && NeedsGrad(biasInput);
        Tensor? statSum = null, statXhatSum = null, channelSum = null, channelXhatSum = null;
        if (needX && statisticsFromInput)
        {
            statSum = Tensor.Empty([layout.StatCount], g.DType, backend);
            statXhatSum = Tensor.Empty([layout.StatCount], g.DType, backend);
        }
        if (needB) channelSum = Tensor.Empty([layout.Channels], g.DType, backend);
        if (needW) channelXhatSum = Tensor.Empty([layout.Channels], g.DType, backend);
        if (statSum != null || channelSum != null || channelXhatSum != null)
        {
            if (layout.Numel > 0)
                backend.NormBackwardSums(x.View, gd.View, mean.View, variance.View, eps, weight?.View, layout,
                    statSum?.View, statXhatSum?.View, channelSum?.View, channelXhatSum?.View);
            else
                foreach (var t in new[] { statSum, statXhatSum, channelSum, channelXhatSum }) t?.Fill(0);
        }
        if (needX)
        {
            var dx = Tensor.Empty(x.Shape, g.DType, backend);
            if (layout.Numel > 0)
                backend.NormBackward(x.View, gd.View, mean.View, variance.View, eps, weight?.View, statSum?.View, statXhatSum?.View, layout, dx.View);
            grads[0] = dx;
        }
        if (needW) grads[weightInput] = channelXhatSum!.ViewAs(affineShape);
        if (needB) grads[biasInput] = channelSum!.ViewAs(affineShape);
        return grads;
    }

    static BinaryOp ActivationBackward(NormActivation activation) => activation switch
    {
        NormActivation.Silu => BinaryOp.SiluBackward,
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown normalisation activation"),
    };
}

using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>Negative log-likelihood of rows of log-probabilities [rows, classes] at Int32 targets, with optional
/// label smoothing: loss = −(1 − s)·logp[t] − (s / C)·Σ_c logp[c]. Gathering the target column and scattering its
/// gradient are backend primitives; the targets are validated by the same pass.</summary>
internal sealed class NllLossFunction : Function
{
    Tensor targets = null!;
    int rows, classes;
    double smoothing;
    LossReduction reduction;

    /// <param name="logProbs">[rows, classes], class axis last.</param>
    /// <param name="targets">Int32 class indices, rows elements in any shape (the shape of an unreduced result).</param>
    public static Tensor Apply(Tensor logProbs, Tensor targets, LossReduction reduction, double smoothing, string op)
    {
        int rows = logProbs.Shape[0], classes = logProbs.Shape[1];
        if (targets.Numel != rows)
            throw new ArgumentException($"{op}: {targets.Numel} targets for {rows} rows of log-probabilities", nameof(targets));
        var lp = AxisRows.Dense(logProbs);
        var t = AxisRows.Dense(targets);
        var losses = Tensor.Empty([rows], logProbs.DType, logProbs.Backend);
        long bad = rows == 0 ? -1 : logProbs.Backend.NllLossRows(lp.Storage.Buffer, lp.Offset, t.Storage.Buffer, t.Offset,
            losses.Storage.Buffer, 0, rows, classes, smoothing);
        if (bad >= 0)
        {
            int value = t.ToArray<int>()[bad];
            throw new ArgumentException($"{op}: target {value} at index {ShapeMath.Format(Unravel(bad, targets.Shape))} of targets " +
                $"{ShapeMath.Format(targets.Shape)} is out of range for {classes} classes (valid: 0 to {classes - 1})", nameof(targets));
        }
        if (!ReferenceEquals(lp, logProbs)) lp.Dispose();
        Tensor result;
        if (reduction == LossReduction.None) result = losses.ViewAs(targets.ShapeArray);
        else
        {
            result = Kernels.Reduce(ReduceOp.Sum, losses, [], keepDim: false);
            losses.Dispose();
            if (reduction == LossReduction.Mean) result.Backend.Unary(UnaryOp.MulScalar, result.View, result.View, 1.0 / rows);
        }
        var fn = new NllLossFunction { targets = t, rows = rows, classes = classes, smoothing = smoothing, reduction = reduction };
        return fn.Connect(result, logProbs);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var gd = AxisRows.Dense(g);
        var grad = Tensor.Empty([rows, classes], g.DType, g.Backend);
        if (rows > 0)
            g.Backend.NllLossBackwardRows(targets.Storage.Buffer, targets.Offset, gd.Storage.Buffer, gd.Offset,
                reduction == LossReduction.None ? 1 : 0, reduction == LossReduction.Mean ? 1.0 / rows : 1,
                grad.Storage.Buffer, 0, rows, classes, smoothing);
        return [grad];
    }

    static int[] Unravel(long flat, ReadOnlySpan<int> shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = (int)(flat % shape[d]);
            flat /= shape[d];
        }
        return index;
    }
}

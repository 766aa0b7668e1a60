using RawDiffusion.Backends;
using static RawDiffusion.Ops.GradientMath;

namespace RawDiffusion.Ops;

/// <summary>Largest or smallest value over axes. The gradient flows to every element equal to the result, split
/// evenly between ties (the Equal mask divided by its count), so no argmax indices are needed.</summary>
internal sealed class ExtremumReductionFunction : Function
{
    Tensor x = null!, kept = null!;
    int[] axes = [];
    bool maximum;

    public static Tensor Apply(Tensor x, int[] axes, bool keepDim, bool maximum)
    {
        string name = maximum ? "Max" : "Min";
        if (ReductionAxes.Count(x.Shape, axes) == 0)
            throw new ArgumentException($"{name} over an empty extent of shape {ShapeMath.Format(x.Shape)} has no value (axes [{string.Join(", ", axes)}])", nameof(axes));
        var kept = Kernels.Reduce(maximum ? ReduceOp.Max : ReduceOp.Min, x, axes, keepDim: true);
        var fn = new ExtremumReductionFunction { x = x, kept = kept, axes = axes, maximum = maximum };
        return fn.Connect(ReductionAxes.Shaped(kept, x.Shape, axes, keepDim), x);
    }

    public override string Name => maximum ? "MaxFunction" : "MinFunction";

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var gk = ReductionAxes.GradientAsKept(g, kept.ShapeArray);
        var mask = Kernels.Binary(BinaryOp.Equal, x, kept);
        var ties = Kernels.Reduce(ReduceOp.Sum, mask, axes, keepDim: true);
        var share = Kernels.Binary(BinaryOp.Div, gk, ties);
        ties.Dispose();
        Combine(BinaryOp.Mul, mask, share);
        share.Dispose();
        return [mask];
    }
}

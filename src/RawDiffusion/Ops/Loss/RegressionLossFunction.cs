using RawDiffusion.Backends;
using static RawDiffusion.Ops.GradientMath;

namespace RawDiffusion.Ops;

/// <summary>Mean-squared and absolute error between same-shape tensors: per-element terms (x − y)² or |x − y|,
/// optionally summed or averaged. The difference d = x − y is kept, and the gradient is g·2d or g·sign(d)
/// (0 at d = 0), scaled by 1/N for the mean, for the input and negated for the target.</summary>
internal sealed class RegressionLossFunction : Function
{
    Tensor difference = null!;
    bool squared;
    LossReduction reduction;

    public static Tensor Apply(Tensor input, Tensor target, bool squared, LossReduction reduction)
    {
        var difference = Kernels.Binary(BinaryOp.Sub, input, target);
        var terms = Kernels.Unary(squared ? UnaryOp.Square : UnaryOp.Abs, difference);
        var loss = terms;
        if (reduction != LossReduction.None)
        {
            loss = Kernels.Reduce(ReduceOp.Sum, terms, [], keepDim: false);
            terms.Dispose();
            if (reduction == LossReduction.Mean) Scale(loss, 1.0 / difference.Numel);
        }
        var fn = new RegressionLossFunction { difference = difference, squared = squared, reduction = reduction };
        return fn.Connect(loss, input, target);
    }

    public override string Name => squared ? "MseLossFunction" : "L1LossFunction";

    protected internal override Tensor?[] Backward(Tensor g)
    {
        double factor = (squared ? 2.0 : 1.0) / (reduction == LossReduction.Mean ? difference.Numel : 1);
        // Reduced losses have a single-element gradient: scale it before it broadcasts over every element.
        var scaledG = Kernels.Unary(UnaryOp.MulScalar, g, factor);
        var gInput = squared ? Kernels.Binary(BinaryOp.Mul, difference, scaledG) : Combine(BinaryOp.Mul, Kernels.Unary(UnaryOp.Sign, difference), scaledG);
        scaledG.Dispose();
        Tensor? gTarget = NeedsGrad(1) ? Kernels.Unary(UnaryOp.Neg, gInput) : null;
        if (!NeedsGrad(0)) gInput.Dispose();
        return [NeedsGrad(0) ? gInput : null, gTarget];
    }
}

using RawDiffusion.Backends;
using static RawDiffusion.Ops.GradientMath;

namespace RawDiffusion.Ops;

/// <summary>Σ(x − mean)² / (N − correction) over axes, two-pass (mean first) so large means do not cancel.
/// Gradient 2·(x − mean)·g / (N − correction): the mean's own dependence on x drops out because the deviations
/// sum to zero.</summary>
internal sealed class VarianceFunction : Function
{
    Tensor x = null!, mean = null!;
    int[] keptShape = [];
    double divisor;

    public static Tensor Apply(Tensor x, int[] axes, bool keepDim, int correction)
    {
        long count = ReductionAxes.Count(x.Shape, axes);
        double divisor = Math.Max(count - correction, 0);
        var mean = Scale(Kernels.Reduce(ReduceOp.Sum, x, axes, keepDim: true), 1.0 / count);
        var squares = Kernels.Binary(BinaryOp.Sub, x, mean);
        squares.Backend.Unary(UnaryOp.Square, squares.View, squares.View);
        var variance = Scale(Kernels.Reduce(ReduceOp.Sum, squares, axes, keepDim: true), 1 / divisor);
        squares.Dispose();
        var fn = new VarianceFunction { x = x, mean = mean, keptShape = variance.ShapeArray, divisor = divisor };
        return fn.Connect(ReductionAxes.Shaped(variance, x.Shape, axes, keepDim), x);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var share = Kernels.Unary(UnaryOp.MulScalar, ReductionAxes.GradientAsKept(g, keptShape), 2 / divisor);
        var grad = Combine(BinaryOp.Mul, Kernels.Binary(BinaryOp.Sub, x, mean), share);
        share.Dispose();
        return [grad];
    }
}

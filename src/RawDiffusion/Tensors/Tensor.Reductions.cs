using RawDiffusion.Ops;

namespace RawDiffusion;

/// <summary>Reductions beyond Sum. Like Sum, they reduce over every axis when none are given; negative axes
/// count from the end; keepDim leaves reduced axes as size 1.</summary>
public sealed partial class Tensor
{
    /// <summary>Arithmetic mean over the axes (NaN over an empty extent).</summary>
    public Tensor Mean(params int[] axes) => Mean(axes, keepDim: false);

    public Tensor Mean(int[] axes, bool keepDim) => Sum(axes, keepDim) * (1.0 / ReductionAxes.Count(Shape, axes));

    /// <summary>Largest value over the axes; the gradient is shared evenly by all elements equal to it.</summary>
    public Tensor Max(params int[] axes) => Max(axes, keepDim: false);

    public Tensor Max(int[] axes, bool keepDim) => ExtremumReductionFunction.Apply(this, axes, keepDim, maximum: true);

    /// <summary>Smallest value over the axes; the gradient is shared evenly by all elements equal to it.</summary>
    public Tensor Min(params int[] axes) => Min(axes, keepDim: false);

    public Tensor Min(int[] axes, bool keepDim) => ExtremumReductionFunction.Apply(this, axes, keepDim, maximum: false);

    /// <summary>Variance over the axes, dividing by N − 1 (unbiased, PyTorch's default) or by N.</summary>
    public Tensor Var(params int[] axes) => Var(axes, keepDim: false);

    public Tensor Var(int[] axes, bool keepDim, bool unbiased = true) => VarianceFunction.Apply(this, axes, keepDim, unbiased ? 1 : 0);

    /// <summary>Standard deviation, √Var with the same options.</summary>
    public Tensor Std(params int[] axes) => Std(axes, keepDim: false);

    public Tensor Std(int[] axes, bool keepDim, bool unbiased = true) => Var(axes, keepDim, unbiased).Sqrt();

    /// <summary>Int32 index of the largest element along <paramref name="axis"/> (the first among ties; NaN counts
    /// as largest). Not differentiable: used for accuracy and predictions.</summary>
    public Tensor ArgMax(int axis, bool keepDim = false)
    {
        Kernels.RequireFloating(this, nameof(ArgMax));
        int a = ShapeMath.NormalizeAxis(axis, Rank, nameof(axis));
        int n = shape[a];
        if (n == 0) throw new ArgumentException($"ArgMax over axis {axis} of shape {ShapeMath.Format(shape)}: the axis is empty", nameof(axis));
        int outer = (int)ShapeMath.Numel(shape.AsSpan(0, a)), inner = (int)ShapeMath.Numel(shape.AsSpan(a + 1));
        var result = Empty(ReductionAxes.KeptShape(shape, [a]), DType.Int32, Backend);
        if (result.Numel > 0)
        {
            var source = IsContiguous ? this : Kernels.Copy(this);
            Backend.ArgMax(source.Storage.Buffer, source.Offset, result.Storage.Buffer, 0, outer, n, inner);
            if (!ReferenceEquals(source, this)) source.Dispose();
        }
        return keepDim ? result : result.ViewAs(ReductionAxes.DroppedShape(shape, [a]));
    }
}

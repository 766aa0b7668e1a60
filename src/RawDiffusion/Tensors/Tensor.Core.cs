using RawDiffusion.Backends;
using RawDiffusion.Ops;

namespace RawDiffusion;

/// <summary>Arithmetic, reshaping and the other operations every later part builds on.</summary>
public sealed partial class Tensor
{
    public static Tensor operator +(Tensor a, Tensor b) => AddFunction.Apply(a, b);
    public static Tensor operator -(Tensor a, Tensor b) => SubFunction.Apply(a, b);
    public static Tensor operator *(Tensor a, Tensor b) => MulFunction.Apply(a, b);
    public static Tensor operator /(Tensor a, Tensor b) => DivFunction.Apply(a, b);
    public static Tensor operator -(Tensor x) => AffineScalarFunction.Apply(x, -1, 0);
    public static Tensor operator +(Tensor x, double c) => AffineScalarFunction.Apply(x, 1, c);
    public static Tensor operator +(double c, Tensor x) => AffineScalarFunction.Apply(x, 1, c);
    public static Tensor operator -(Tensor x, double c) => AffineScalarFunction.Apply(x, 1, -c);
    public static Tensor operator -(double c, Tensor x) => AffineScalarFunction.Apply(x, -1, c);
    public static Tensor operator *(Tensor x, double c) => AffineScalarFunction.Apply(x, c, 0);
    public static Tensor operator *(double c, Tensor x) => AffineScalarFunction.Apply(x, c, 0);
    public static Tensor operator /(Tensor x, double c) => AffineScalarFunction.Apply(x, 1 / c, 0);

    /// <summary>Sum over the given axes (all axes when none are given).</summary>
    public Tensor Sum(params int[] axes) => SumFunction.Apply(this, axes, keepDim: false);
    public Tensor Sum(int[] axes, bool keepDim) => SumFunction.Apply(this, axes, keepDim);

    public Tensor MatMul(Tensor other) => MatMulFunction.Apply(this, other);

    /// <summary>Same data, new shape (one dimension may be -1); a view when contiguous.</summary>
    public Tensor Reshape(params int[] shape) => ReshapeFunction.Apply(this, shape);

    /// <summary>A copy that stays in the graph.</summary>
    public Tensor Clone() => CloneFunction.Apply(this);

    /// <summary>This tensor if contiguous, else a contiguous copy (in the graph).</summary>
    public Tensor Contiguous() => IsContiguous ? this : CloneFunction.Apply(this);

    /// <summary>A view with another shape over contiguous data; no graph (internal building block).</summary>
    internal Tensor ViewAs(int[] newShape)
    {
        if (!IsContiguous) throw new InvalidOperationException("ViewAs needs a contiguous tensor");
        if (ShapeMath.Numel(newShape) != Numel)
            throw new ArgumentException($"cannot view {ShapeMath.Format(shape)} as {ShapeMath.Format(newShape)}");
        return new Tensor(Storage, newShape, ShapeMath.ContiguousStrides(newShape), Offset);
    }

    /// <summary>A view with explicit shape, strides and offset over the same storage; no graph.</summary>
    internal Tensor StridedAs(int[] newShape, long[] newStrides, long newOffset) => new(Storage, newShape, newStrides, newOffset);

    /// <summary>this += other (broadcast), outside the graph: used for gradient accumulation and optimizer updates.</summary>
    public void AddInPlace(Tensor other, double scale = 1)
    {
        if (RequiresGrad && GradMode.IsEnabled && !IsLeaf)
            throw new InvalidOperationException("in-place update of a tensor that is part of the autograd graph");
        if (scale == 1) Kernels.BinaryInPlace(BinaryOp.Add, this, other);
        else
        {
            var scaled = Kernels.Unary(UnaryOp.MulScalar, other, scale);
            Kernels.BinaryInPlace(BinaryOp.Add, this, scaled);
            scaled.Dispose();
        }
    }

    /// <summary>Overwrites this tensor's values with <paramref name="source"/> (broadcast), outside the graph.</summary>
    public void CopyFrom(Tensor source) => Kernels.CopyInto(source, this);

    /// <summary>Sets every element to <paramref name="value"/>, outside the graph.</summary>
    public void Fill(double value) => Backend.Fill(View, value);
}

public sealed partial class Tensor
{
    /// <summary>Dimensions in a new order (a view).</summary>
    public Tensor Permute(params int[] order) => PermuteFunction.Apply(this, order);

    /// <summary>Swaps two dimensions (a view).</summary>
    public Tensor Transpose(int axis0, int axis1)
    {
        var order = Enumerable.Range(0, Rank).ToArray();
        int a = ShapeMath.NormalizeAxis(axis0, Rank, nameof(axis0)), b = ShapeMath.NormalizeAxis(axis1, Rank, nameof(axis1));
        (order[a], order[b]) = (order[b], order[a]);
        return PermuteFunction.Apply(this, order);
    }
}

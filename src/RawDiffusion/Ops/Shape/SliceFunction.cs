using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>A contiguous range of one axis as a view (no copy). The gradient is the output gradient written into
/// that range of a zero tensor of the input's shape.</summary>
internal sealed class SliceFunction : Function
{
    int[] inputShape = [];
    int axis, start, length;

    public static Tensor Apply(Tensor x, int axis, int start, int length)
    {
        int a = ShapeMath.NormalizeAxis(axis, x.Rank, nameof(axis));
        int size = x.Shape[a];
        int s = start < 0 ? start + size : start;
        if (s < 0 || s > size)
            throw new ArgumentOutOfRangeException(nameof(start), start, $"slice start {start} is out of range for axis {a} of size {size} (tensor {ShapeMath.Format(x.Shape)})");
        if (length < 0 || s + length > size)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"slice [{s}, {s + length}) does not fit axis {a} of size {size} (tensor {ShapeMath.Format(x.Shape)})");
        var view = Narrow(x.View, a, s, length);
        var y = x.StridedAs(view.Shape, view.Strides, view.Offset);
        return new SliceFunction { inputShape = x.ShapeArray, axis = a, start = s, length = length }.Connect(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var grad = Tensor.Zeros(inputShape, g.DType, g.Backend);
        g.Backend.Unary(UnaryOp.Copy, g.View, Narrow(grad.View, axis, start, length));
        return [grad];
    }

    /// <summary>The elements [start, start + length) of <paramref name="axis"/> of a view, as a view.</summary>
    internal static StridedView Narrow(StridedView view, int axis, int start, int length)
    {
        var shape = (int[])view.Shape.Clone();
        shape[axis] = length;
        return new StridedView(view.Buffer, view.Offset + start * view.Strides[axis], shape, view.Strides);
    }
}

using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>Joins tensors along an existing axis into one new contiguous tensor. The gradient of each input is
/// its range of the output gradient (a view).</summary>
internal sealed class ConcatFunction : Function
{
    int axis;
    int[] starts = [];

    public static Tensor Apply(IReadOnlyList<Tensor> tensors, int axis)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw new ArgumentException("concat needs at least one tensor", nameof(tensors));
        var first = tensors[0];
        int a = ShapeMath.NormalizeAxis(axis, first.Rank, nameof(axis));
        var shape = first.ShapeArray;
        var starts = new int[tensors.Count];
        long total = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            if (!ReferenceEquals(t.Backend, first.Backend) || t.DType != first.DType)
                throw new ArgumentException($"concat: tensor {i} is {t.DType} on {t.Backend.Name}, tensor 0 is {first.DType} on {first.Backend.Name}", nameof(tensors));
            bool compatible = t.Rank == first.Rank;
            for (int d = 0; compatible && d < t.Rank; d++) compatible = d == a || t.Shape[d] == shape[d];
            if (!compatible)
                throw new ArgumentException($"concat along axis {a}: tensor {i} has shape {ShapeMath.Format(t.Shape)}, incompatible with tensor 0's {ShapeMath.Format(first.Shape)} (all dimensions but the axis must match)", nameof(tensors));
            starts[i] = (int)total;
            total += t.Shape[a];
        }
        if (total > int.MaxValue) throw new ArgumentException($"concat along axis {a} gives {total} elements, more than a dimension can hold", nameof(tensors));
        shape[a] = (int)total;

        var y = Tensor.Empty(shape, first.DType, first.Backend);
        for (int i = 0; i < tensors.Count; i++)
            if (tensors[i].Numel > 0)
                y.Backend.Unary(UnaryOp.Copy, tensors[i].View, SliceFunction.Narrow(y.View, a, starts[i], tensors[i].Shape[a]));
        return new ConcatFunction { axis = a, starts = starts }.Connect(y, [.. tensors]);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var grads = new Tensor?[Inputs.Length];
        for (int i = 0; i < Inputs.Length; i++)
        {
            if (!NeedsGrad(i)) continue;
            var view = SliceFunction.Narrow(g.View, axis, starts[i], Inputs[i].Shape[axis]);
            grads[i] = g.StridedAs(view.Shape, view.Strides, view.Offset);
        }
        return grads;
    }
}

namespace RawDiffusion.Ops;

/// <summary>Broadcasts size-1 dimensions (and new leading dimensions) to a larger shape as a view: the stretched
/// dimensions get stride 0, so nothing is copied. Every output element that reads an input element sends its
/// gradient back to it, so the gradient is the output gradient summed over the stretched dimensions.</summary>
internal sealed class ExpandFunction : Function
{
    int[] inputShape = [];

    public static Tensor Apply(Tensor x, int[] shape)
    {
        if (shape.Length < x.Rank)
            throw new ArgumentException($"expand {ShapeMath.Format(x.Shape)} -> {ShapeMath.Format(shape)}: the target has fewer dimensions than the tensor", nameof(shape));
        int lead = shape.Length - x.Rank;
        var resolved = new int[shape.Length];
        var strides = new long[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            if (i < lead)
            {
                if (shape[i] < 0)
                    throw new ArgumentException($"expand {ShapeMath.Format(x.Shape)} -> {ShapeMath.Format(shape)}: new leading dimension {i} needs an explicit size, got {shape[i]}", nameof(shape));
                resolved[i] = shape[i];
                continue;
            }
            int size = x.Shape[i - lead], target = shape[i] == -1 ? size : shape[i];
            if (target == size) strides[i] = x.Strides[i - lead];
            else if (size == 1 && target >= 0) strides[i] = 0;
            else
                throw new ArgumentException($"expand {ShapeMath.Format(x.Shape)} -> {ShapeMath.Format(shape)}: dimension {i} has size {size}, only size-1 dimensions can be expanded", nameof(shape));
            resolved[i] = target;
        }
        return new ExpandFunction { inputShape = x.ShapeArray }.Connect(x.StridedAs(resolved, strides, x.Offset), x);
    }

    protected internal override Tensor?[] Backward(Tensor g) => [Kernels.SumToShape(g, inputShape)];
}

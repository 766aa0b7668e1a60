namespace RawDiffusion.Ops;

/// <summary>Reorders dimensions as a strided view (no copy); the gradient is permuted back by the inverse order.</summary>
internal sealed class PermuteFunction : Function
{
    int[] inverse = [];

    public static Tensor Apply(Tensor x, int[] order)
    {
        if (order.Length != x.Rank)
            throw new ArgumentException($"permute order has {order.Length} entries for a tensor of rank {x.Rank}", nameof(order));
        var seen = new bool[x.Rank];
        var shape = new int[x.Rank];
        var strides = new long[x.Rank];
        var inverse = new int[x.Rank];
        for (int i = 0; i < order.Length; i++)
        {
            int axis = ShapeMath.NormalizeAxis(order[i], x.Rank, nameof(order));
            if (seen[axis]) throw new ArgumentException($"permute order [{string.Join(", ", order)}] repeats axis {axis}", nameof(order));
            seen[axis] = true;
            shape[i] = x.Shape[axis];
            strides[i] = x.Strides[axis];
            inverse[axis] = i;
        }
        return new PermuteFunction { inverse = inverse }.Connect(x.StridedAs(shape, strides, x.Offset), x);
    }

    protected internal override Tensor?[] Backward(Tensor g) => [Apply(g, inverse)];
}

namespace RawDiffusion.Ops;

/// <summary>A reshape that is a view whenever the strides allow it (always for adding or removing size-1
/// dimensions, and for merging or splitting dimensions that are laid out contiguously with each other), and a
/// contiguous copy otherwise. Used by Squeeze, Unsqueeze and Flatten; the gradient is reshaped back the same way.</summary>
internal sealed class ViewFunction : Function
{
    int[] inputShape = [];

    public static Tensor Apply(Tensor x, int[] shape) =>
        new ViewFunction { inputShape = x.ShapeArray }.Connect(ViewOrCopy(x, shape), x);

    protected internal override Tensor?[] Backward(Tensor g) => [ViewOrCopy(g, inputShape)];

    static Tensor ViewOrCopy(Tensor t, int[] shape)
    {
        if (ShapeMath.Numel(shape) != t.Numel)
            throw new ArgumentException($"cannot view {ShapeMath.Format(t.Shape)} ({t.Numel} elements) as {ShapeMath.Format(shape)}", nameof(shape));
        var strides = ViewStrides(t.Shape, t.Strides, shape);
        if (strides != null) return t.StridedAs((int[])shape.Clone(), strides, t.Offset);
        using var copy = Kernels.Copy(t);
        return copy.ViewAs((int[])shape.Clone());
    }

    /// <summary>Strides that read data laid out as (<paramref name="shape"/>, <paramref name="strides"/>) in the
    /// row-major order of <paramref name="target"/>, or null when no strides can (PyTorch's computeStride): the old
    /// dimensions are cut into chunks that are contiguous with each other, and each chunk must map onto whole new dimensions.</summary>
    internal static long[]? ViewStrides(ReadOnlySpan<int> shape, ReadOnlySpan<long> strides, ReadOnlySpan<int> target)
    {
        if (ShapeMath.Numel(shape) <= 1) return ShapeMath.ContiguousStrides(target);
        var result = new long[target.Length];
        int viewDim = target.Length - 1;
        long chunkBaseStride = strides[^1], tensorNumel = 1, viewNumel = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            tensorNumel *= shape[d];
            bool chunkEnds = d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkBaseStride);
            if (!chunkEnds) continue;
            while (viewDim >= 0 && (viewNumel < tensorNumel || target[viewDim] == 1))
            {
                result[viewDim] = viewNumel * chunkBaseStride;
                viewNumel *= target[viewDim];
                viewDim--;
            }
            if (viewNumel != tensorNumel) return null;
            if (d > 0)
            {
                chunkBaseStride = strides[d - 1];
                tensorNumel = 1;
                viewNumel = 1;
            }
        }
        return viewDim == -1 ? result : null;
    }
}

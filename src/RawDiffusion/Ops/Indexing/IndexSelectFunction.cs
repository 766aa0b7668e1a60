namespace RawDiffusion.Ops;

/// <summary>Selects entries of one axis by a 1-D Int32 index (repeats allowed), like torch.index_select.
/// The gradient scatter-adds the output gradient back to the selected entries, so an entry selected twice
/// receives both contributions.</summary>
internal sealed class IndexSelectFunction : Function
{
    Tensor index = null!;
    int[] inputShape = [];
    int outer, n, k, inner;

    public static Tensor Apply(Tensor x, int axis, Tensor index)
    {
        if (index.Rank > 1)
            throw new ArgumentException($"IndexSelect needs a 1-D index, got shape {ShapeMath.Format(index.Shape)}", nameof(index));
        int a = ShapeMath.NormalizeAxis(axis, x.Rank, nameof(axis));
        var idx = IndexChecks.Contiguous(index, x, "IndexSelect", nameof(index));
        IndexChecks.RequireInRange(idx, x.Shape[a], "IndexSelect", nameof(index), $"axis {a} of input {ShapeMath.Format(x.Shape)}");

        var fn = new IndexSelectFunction { index = idx, inputShape = x.ShapeArray, n = x.Shape[a], k = (int)idx.Numel };
        fn.outer = (int)ShapeMath.Numel(x.Shape[..a]);
        fn.inner = (int)ShapeMath.Numel(x.Shape[(a + 1)..]);
        var shape = x.ShapeArray;
        shape[a] = fn.k;
        var y = Tensor.Empty(shape, x.DType, x.Backend);
        if (y.Numel > 0)
        {
            using var xc = new ContiguousLease(x);
            x.Backend.IndexSelect(xc.Tensor.Storage.Buffer, xc.Tensor.Offset, idx.Storage.Buffer, idx.Offset, y.Storage.Buffer, 0, fn.outer, fn.n, fn.k, fn.inner);
        }
        fn.Connect(y, x);
        if (y.GradFn == null && !ReferenceEquals(idx, index)) idx.Dispose();
        return y;
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var grad = Tensor.Zeros(inputShape, g.DType, g.Backend);
        if (g.Numel == 0) return [grad];
        using var gc = new ContiguousLease(g);
        g.Backend.IndexAdd(gc.Tensor.Storage.Buffer, gc.Tensor.Offset, index.Storage.Buffer, index.Offset, grad.Storage.Buffer, 0, outer, n, k, inner);
        return [grad];
    }
}

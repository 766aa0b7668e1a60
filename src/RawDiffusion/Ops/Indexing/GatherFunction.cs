using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>torch.gather: out[..., j, ...] = x[..., index[..., j, ...], ...] along one axis, with an Int32 index of
/// x's rank that may be smaller than x in the other dimensions (only that leading corner of x is read).
/// The gradient scatter-adds into that corner; repeated indices accumulate.</summary>
internal sealed class GatherFunction : Function
{
    Tensor index = null!;
    int[] inputShape = [], cornerShape = [];
    int outer, n, k, inner;

    public static Tensor Apply(Tensor x, int axis, Tensor index)
    {
        int a = ShapeMath.NormalizeAxis(axis, x.Rank, nameof(axis));
        bool fits = index.Rank == x.Rank;
        for (int d = 0; fits && d < x.Rank; d++) fits = d == a || index.Shape[d] <= x.Shape[d];
        if (!fits)
            throw new ArgumentException($"Gather along axis {a}: index {ShapeMath.Format(index.Shape)} must have the rank of input {ShapeMath.Format(x.Shape)} and be no larger in the other dimensions", nameof(index));
        var idx = IndexChecks.Contiguous(index, x, "Gather", nameof(index));
        IndexChecks.RequireInRange(idx, x.Shape[a], "Gather", nameof(index), $"axis {a} of input {ShapeMath.Format(x.Shape)}");

        var corner = index.ShapeArray;
        corner[a] = x.Shape[a];
        var fn = new GatherFunction
        {
            index = idx, inputShape = x.ShapeArray, cornerShape = corner,
            outer = (int)ShapeMath.Numel(index.Shape[..a]), n = x.Shape[a], k = index.Shape[a], inner = (int)ShapeMath.Numel(index.Shape[(a + 1)..]),
        };
        var y = Tensor.Empty(index.Shape, x.DType, x.Backend);
        if (y.Numel > 0)
        {
            // The kernel reads a contiguous [outer, n, inner] block: the corner of x itself when it is laid out that way.
            var source = x.View with { Shape = corner };
            var copy = source.IsContiguous ? null : Tensor.Empty(corner, x.DType, x.Backend);
            if (copy != null) x.Backend.Unary(UnaryOp.Copy, source, copy.View);
            x.Backend.Gather(copy?.Storage.Buffer ?? source.Buffer, copy?.Offset ?? source.Offset, idx.Storage.Buffer, idx.Offset,
                y.Storage.Buffer, 0, fn.outer, fn.n, fn.k, fn.inner);
            copy?.Dispose();
        }
        fn.Connect(y, x);
        if (y.GradFn == null && !ReferenceEquals(idx, index)) idx.Dispose();
        return y;
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        bool whole = ShapeMath.SameShape(cornerShape, inputShape);
        var grad = Tensor.Zeros(inputShape, g.DType, g.Backend);
        if (g.Numel == 0) return [grad];
        var cornerGrad = whole ? grad : Tensor.Zeros(cornerShape, g.DType, g.Backend);
        using var gc = new ContiguousLease(g);
        g.Backend.ScatterAdd(gc.Tensor.Storage.Buffer, gc.Tensor.Offset, index.Storage.Buffer, index.Offset, cornerGrad.Storage.Buffer, 0, outer, n, k, inner);
        if (!whole)
        {
            g.Backend.Unary(UnaryOp.Copy, cornerGrad.View, grad.View with { Shape = cornerShape });
            cornerGrad.Dispose();
        }
        return [grad];
    }
}

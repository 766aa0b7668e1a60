namespace RawDiffusion.Ops;

/// <summary>Looks up rows of an embedding table: indices of any shape [...] and weight [num, dim] give [..., dim].
/// The weight gradient adds each output row's gradient into its table row, so repeated indices accumulate.</summary>
internal sealed class EmbeddingFunction : Function
{
    Tensor indices = null!;
    int rows, dim;

    public static Tensor Apply(Tensor indices, Tensor weight)
    {
        if (weight.Rank != 2)
            throw new ArgumentException($"Embedding needs a weight of shape [num, dim], got {ShapeMath.Format(weight.Shape)}", nameof(weight));
        var idx = IndexChecks.Contiguous(indices, weight, "Embedding", nameof(indices));
        IndexChecks.RequireInRange(idx, weight.Shape[0], "Embedding", nameof(indices), $"an embedding table of {weight.Shape[0]} rows (weight {ShapeMath.Format(weight.Shape)})");

        var fn = new EmbeddingFunction { indices = idx, rows = weight.Shape[0], dim = weight.Shape[1] };
        var y = Tensor.Empty([.. indices.Shape, fn.dim], weight.DType, weight.Backend);
        if (y.Numel > 0)
        {
            using var w = new ContiguousLease(weight);
            weight.Backend.IndexSelect(w.Tensor.Storage.Buffer, w.Tensor.Offset, idx.Storage.Buffer, idx.Offset, y.Storage.Buffer, 0, 1, fn.rows, (int)idx.Numel, fn.dim);
        }
        fn.Connect(y, weight);
        if (y.GradFn == null && !ReferenceEquals(idx, indices)) idx.Dispose();
        return y;
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var grad = Tensor.Zeros([rows, dim], g.DType, g.Backend);
        if (g.Numel == 0) return [grad];
        using var gc = new ContiguousLease(g);
        g.Backend.IndexAdd(gc.Tensor.Storage.Buffer, gc.Tensor.Offset, indices.Storage.Buffer, indices.Offset, grad.Storage.Buffer, 0, 1, rows, (int)indices.Numel, dim);
        return [grad];
    }
}

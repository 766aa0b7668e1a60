namespace RawDiffusion.Ops;

/// <summary>Reshape: a view when the input is contiguous, a copy otherwise; the gradient is reshaped back.</summary>
internal sealed class ReshapeFunction : Function
{
    int[] inputShape = [];

    public static Tensor Apply(Tensor x, int[] shape)
    {
        var resolved = ResolveShape(shape, x.Numel, x.Shape);
        var source = x.IsContiguous ? x : Kernels.Copy(x);
        var y = source.ViewAs(resolved);
        return new ReshapeFunction { inputShape = x.ShapeArray }.Connect(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor g) => [(g.IsContiguous ? g : Kernels.Copy(g)).ViewAs(inputShape)];

    /// <summary>Fills in one -1 dimension and checks that the element count is unchanged.</summary>
    internal static int[] ResolveShape(int[] shape, long numel, ReadOnlySpan<int> from)
    {
        var result = (int[])shape.Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < result.Length; i++)
        {
            if (result[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"reshape {ShapeMath.Format(from)} -> {ShapeMath.Format(shape)}: only one dimension can be -1", nameof(shape));
                infer = i;
            }
            else if (result[i] < 0) throw new ArgumentException($"reshape {ShapeMath.Format(from)} -> {ShapeMath.Format(shape)}: negative dimension", nameof(shape));
            else known *= result[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || numel % known != 0)
                throw new ArgumentException($"cannot reshape {ShapeMath.Format(from)} ({numel} elements) to {ShapeMath.Format(shape)}", nameof(shape));
            result[infer] = (int)(numel / known);
        }
        else if (known != numel)
            throw new ArgumentException($"cannot reshape {ShapeMath.Format(from)} ({numel} elements) to {ShapeMath.Format(shape)} ({known} elements)", nameof(shape));
        return result;
    }
}

/// <summary>A contiguous copy that is part of the graph (gradient passes through unchanged).</summary>
internal sealed class CloneFunction : Function
{
    public static Tensor Apply(Tensor x) => new CloneFunction().Connect(Kernels.Copy(x), x);

    protected internal override Tensor?[] Backward(Tensor g) => [g];
}

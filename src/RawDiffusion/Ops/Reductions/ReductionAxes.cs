namespace RawDiffusion.Ops;

/// <summary>Which axes a reduction covers (all of them when none are named, like Sum) and the shapes that follow.</summary>
internal static class ReductionAxes
{
    public static bool[] Mask(int rank, int[] axes)
    {
        var reduce = new bool[rank];
        if (axes.Length == 0) Array.Fill(reduce, true);
        foreach (var a in axes) reduce[ShapeMath.NormalizeAxis(a, rank, nameof(axes))] = true;
        return reduce;
    }

    /// <summary>How many elements each output value is reduced from.</summary>
    public static long Count(ReadOnlySpan<int> shape, int[] axes)
    {
        var reduce = Mask(shape.Length, axes);
        long count = 1;
        for (int i = 0; i < shape.Length; i++) if (reduce[i]) count *= shape[i];
        return count;
    }

    /// <summary>The input shape with reduced axes set to 1.</summary>
    public static int[] KeptShape(ReadOnlySpan<int> shape, int[] axes)
    {
        var reduce = Mask(shape.Length, axes);
        var kept = shape.ToArray();
        for (int i = 0; i < kept.Length; i++) if (reduce[i]) kept[i] = 1;
        return kept;
    }

    /// <summary>The input shape with reduced axes removed.</summary>
    public static int[] DroppedShape(ReadOnlySpan<int> shape, int[] axes)
    {
        var reduce = Mask(shape.Length, axes);
        var dropped = new List<int>();
        for (int i = 0; i < shape.Length; i++) if (!reduce[i]) dropped.Add(shape[i]);
        return [.. dropped];
    }

    /// <summary>A kept-shape result as the caller asked for it: itself, or a view without the reduced axes.</summary>
    public static Tensor Shaped(Tensor kept, ReadOnlySpan<int> inputShape, int[] axes, bool keepDim) =>
        keepDim ? kept : kept.ViewAs(DroppedShape(inputShape, axes));

    /// <summary>An output gradient as a contiguous tensor of the kept shape, ready to broadcast over the input.</summary>
    public static Tensor GradientAsKept(Tensor g, int[] keptShape) => (g.IsContiguous ? g : Kernels.Copy(g)).ViewAs(keptShape);
}

using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>Sum over axes (all when none); the gradient broadcasts back over the summed axes.</summary>
internal sealed class SumFunction : Function
{
    int[] inputShape = [];
    int[] keptShape = [];

    public static Tensor Apply(Tensor x, int[] axes, bool keepDim)
    {
        var kept = Kernels.Reduce(ReduceOp.Sum, x, axes, keepDim: true);
        var y = keepDim ? kept : kept.ViewAs(DropAxes(x.Shape, axes));
        return new SumFunction { inputShape = x.ShapeArray, keptShape = kept.ShapeArray }.Connect(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var gk = (g.IsContiguous ? g : Kernels.Copy(g)).ViewAs(keptShape);
        var full = Tensor.Empty(inputShape, g.DType, g.Backend);
        Kernels.CopyInto(gk, full);
        return [full];
    }

    internal static int[] DropAxes(ReadOnlySpan<int> shape, int[] axes)
    {
        if (axes.Length == 0) return [];
        var drop = new bool[shape.Length];
        foreach (var a in axes) drop[ShapeMath.NormalizeAxis(a, shape.Length, nameof(axes))] = true;
        var result = new List<int>();
        for (int i = 0; i < shape.Length; i++) if (!drop[i]) result.Add(shape[i]);
        return [.. result];
    }
}

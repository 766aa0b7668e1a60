namespace RawDiffusion.Tests.ShapeOps;

/// <summary>Test inputs for the shape ops: non-contiguous views and a strided reader for naive references.</summary>
internal static class ShapeTestData
{
    /// <summary>A non-contiguous float64 leaf view of <paramref name="shape"/>: the transpose of the first two
    /// dimensions of a contiguous base (needs rank >= 2).</summary>
    public static Tensor TransposedLeaf(int seed, params int[] shape)
    {
        var baseShape = (int[])shape.Clone();
        (baseShape[0], baseShape[1]) = (baseShape[1], baseShape[0]);
        var data = Testing.Reference.Leaf(seed, baseShape);
        var strides = data.Strides.ToArray();
        (strides[0], strides[1]) = (strides[1], strides[0]);
        var view = data.StridedAs((int[])shape.Clone(), strides, 0);
        view.RequiresGrad = true;
        return view;
    }

    /// <summary>A non-contiguous float32 view of <paramref name="shape"/> (every other element of the last axis of a larger base).</summary>
    public static Tensor EveryOtherFloat(int seed, params int[] shape)
    {
        var baseShape = (int[])shape.Clone();
        baseShape[^1] *= 2;
        var t = Testing.Reference.Float(seed, baseShape);
        var strides = t.Strides.ToArray();
        strides[^1] = 2;
        return t.StridedAs((int[])shape.Clone(), strides, 1);
    }
}

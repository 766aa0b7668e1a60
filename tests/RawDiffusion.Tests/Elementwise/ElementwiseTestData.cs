using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.Elementwise;

/// <summary>Inputs for the elementwise tests: a contiguous tensor and non-contiguous views of the same kind of data,
/// so forward tests cover the strided paths of the kernels.</summary>
internal static class ElementwiseTestData
{
    /// <summary>float32 values uniform in [low, high) as (name, tensor): contiguous [3, 5, 4], a permuted view of
    /// it, a stride-2 view, and a long row that takes the SIMD body and tail.</summary>
    public static IEnumerable<(string Name, Tensor X)> Float32Inputs(int seed, double low, double high)
    {
        Tensor Make(int s, params int[] shape) =>
            Tensor.FromArray(Array.ConvertAll(Reference.RandomArray((int)ShapeMath.Numel(shape), s, low, high), v => (float)v), shape);
        yield return ("contiguous", Make(seed, 3, 5, 4));
        yield return ("permuted", Make(seed + 1, 3, 5, 4).Permute(2, 0, 1));
        yield return ("stride 2", Make(seed + 2, 6, 7).StridedAs([3, 7], [14, 2], 1));
        yield return ("long row", Make(seed + 3, 1000));
    }

    /// <summary>A float64 leaf whose values avoid a neighbourhood of the given kinks (finite differences across a
    /// kink do not measure the one-sided derivative).</summary>
    public static Tensor LeafAwayFrom(int seed, double low, double high, double[] kinks, params int[] shape)
    {
        var values = Reference.RandomArray((int)ShapeMath.Numel(shape), seed, low, high);
        for (int i = 0; i < values.Length; i++)
            foreach (var k in kinks)
                if (Math.Abs(values[i] - k) < 0.05) values[i] = k + (values[i] >= k ? 0.05 : -0.05);
        var t = Tensor.FromArray(values, shape);
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>A float64 view with RequiresGrad over every other element of a fresh buffer: a non-contiguous leaf.</summary>
    public static Tensor StridedLeaf(int seed, double low, double high, int rows, int columns)
    {
        var full = Tensor.FromArray(Reference.RandomArray(rows * columns * 2, seed, low, high), rows, columns * 2);
        var view = full.StridedAs([rows, columns], [2L * columns, 2], 0);
        view.RequiresGrad = true;
        return view;
    }
}

namespace RawDiffusion.Tests.Testing;

/// <summary>Independent, deliberately naive references and test-data helpers.</summary>
public static class Reference
{
    public static double[] RandomArray(int n, int seed, double low = -1, double high = 1)
    {
        var rng = new Random(seed);
        var a = new double[n];
        for (int i = 0; i < n; i++) a[i] = low + (high - low) * rng.NextDouble();
        return a;
    }

    /// <summary>A float64 leaf tensor with random values (RequiresGrad on).</summary>
    public static Tensor Leaf(int seed, params int[] shape) => LeafInRange(seed, -1, 1, shape);

    /// <summary>A float64 leaf tensor with values uniform in [low, high) (RequiresGrad on). Named apart from <see cref="Leaf(int, int[])"/>
    /// so integer bounds cannot silently bind to the shape.</summary>
    public static Tensor LeafInRange(int seed, double low, double high, params int[] shape)
    {
        var t = Tensor.FromArray(RandomArray((int)ShapeMath.Numel(shape), seed, low, high), shape);
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>A float32 tensor with random values.</summary>
    public static Tensor Float(int seed, params int[] shape) =>
        Tensor.FromArray(Array.ConvertAll(RandomArray((int)ShapeMath.Numel(shape), seed), v => (float)v), shape);

    /// <summary>Row-major multi-index of flat position <paramref name="flat"/>.</summary>
    public static int[] Unravel(long flat, ReadOnlySpan<int> shape)
    {
        var idx = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            idx[d] = (int)(flat % shape[d]);
            flat /= shape[d];
        }
        return idx;
    }

    /// <summary>Flat row-major position in <paramref name="shape"/> of a (right-aligned, broadcast) index.</summary>
    public static long BroadcastFlat(int[] index, ReadOnlySpan<int> shape)
    {
        long flat = 0;
        int lead = index.Length - shape.Length;
        for (int d = 0; d < shape.Length; d++) flat = flat * shape[d] + (shape[d] == 1 ? 0 : index[lead + d]);
        return flat;
    }

    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double atol = 1e-5, double rtol = 1e-5, string what = "value")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tol = atol + rtol * Math.Abs(expected[i]);
            if (!(Math.Abs(expected[i] - actual[i]) <= tol) && !(double.IsNaN(expected[i]) && double.IsNaN(actual[i])))
                Assert.Fail($"{what} {i}: expected {expected[i]:G9}, got {actual[i]:G9}");
        }
    }

    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol = 1e-5, double rtol = 1e-5, string what = "value") =>
        Close(Array.ConvertAll(expected.ToArray(), v => (double)v), Array.ConvertAll(actual.ToArray(), v => (double)v), atol, rtol, what);
}

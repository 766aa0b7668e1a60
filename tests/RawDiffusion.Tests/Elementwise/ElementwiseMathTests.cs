using RawDiffusion.Tests.Testing;
using static RawDiffusion.Tests.Elementwise.ElementwiseTestData;

namespace RawDiffusion.Tests.Elementwise;

public class ElementwiseMathTests
{
    public static TheoryData<string> UnaryOps => ["exp", "log", "sqrt", "rsqrt", "abs", "square", "neg", "reciprocal", "pow3", "pow-1.5", "pow0.5", "pow0", "pow2"];

    static (Func<Tensor, Tensor> Op, Func<double, double> Reference, double Low, double High) Unary(string name) => name switch
    {
        "exp" => (t => t.Exp(), Math.Exp, -5, 5),
        "log" => (t => t.Log(), Math.Log, 0.1, 10),
        "sqrt" => (t => t.Sqrt(), Math.Sqrt, 0.1, 10),
        "rsqrt" => (t => t.Rsqrt(), v => 1 / Math.Sqrt(v), 0.1, 10),
        "abs" => (t => t.Abs(), Math.Abs, -2, 2),
        "square" => (t => t.Square(), v => v * v, -2, 2),
        "neg" => (t => t.Neg(), v => -v, -2, 2),
        "reciprocal" => (t => t.Reciprocal(), v => 1 / v, 0.2, 3),
        "pow3" => (t => t.Pow(3), v => v * v * v, -2, 2),
        "pow-1.5" => (t => t.Pow(-1.5), v => Math.Pow(v, -1.5), 0.2, 3),
        "pow0.5" => (t => t.Pow(0.5), Math.Sqrt, 0.1, 3),
        "pow0" => (t => t.Pow(0), v => 1, -2, 2),
        "pow2" => (t => t.Pow(2), v => v * v, -2, 2),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void UnaryForwardMatchesNaiveLoopOnContiguousAndStridedInputs(string name)
    {
        var (op, f, low, high) = Unary(name);
        foreach (var (layout, x) in Float32Inputs(1, low, high))
        {
            var y = op(x);
            Assert.Equal(x.ShapeArray, y.ShapeArray);
            var v = x.ToFloat64Array();
            var expected = new double[v.Length];
            for (int i = 0; i < v.Length; i++) expected[i] = f(v[i]);
            Reference.Close(expected, y.ToFloat64Array(), 1e-6, 2e-6, $"{name} ({layout})");
        }
    }

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void UnaryGradientsMatchFiniteDifferences(string name)
    {
        var (op, _, low, high) = Unary(name);
        var kinks = name == "abs" ? new[] { 0.0 } : [];
        GradCheck.Check(t => op(t[0]), [LeafAwayFrom(2, low, high, kinks, 3, 4)]);
        GradCheck.Check(t => op(t[0]), [StridedLeaf(3, Math.Max(low, name == "abs" ? 0.1 : low), high, 2, 3)]);
    }

    [Fact]
    public void AbsHasZeroGradientAtZero()
    {
        var x = Tensor.FromArray(new double[] { -2, 0, 3 }, 3);
        x.RequiresGrad = true;
        x.Abs().Sum().Backward();
        Assert.Equal(new double[] { -1, 0, 1 }, x.Grad!.ToFloat64Array());
    }

    [Fact]
    public void ClampAppliesEitherOrBothBoundsAndMinAboveMaxGivesMax()
    {
        foreach (var (layout, x) in Float32Inputs(4, -3, 3))
        {
            var v = x.ToFloat64Array();
            Reference.Close(v.Select(e => Math.Min(Math.Max(e, -1), 0.5)).ToArray(), x.Clamp(-1, 0.5).ToFloat64Array(), 0, 0, layout);
            Reference.Close(v.Select(e => Math.Max(e, -1)).ToArray(), x.Clamp(min: -1).ToFloat64Array(), 0, 0, layout);
            Reference.Close(v.Select(e => Math.Min(e, 0.5)).ToArray(), x.Clamp(max: 0.5).ToFloat64Array(), 0, 0, layout);
            Reference.Close(v.Select(_ => -1.0).ToArray(), x.Clamp(2, -1).ToFloat64Array(), 0, 0, layout);
        }
        Assert.True(float.IsNaN(Tensor.FromArray(new[] { float.NaN }, 1).Clamp(0, 1).ToFloat32Array()[0]));
        var err = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2]).Clamp());
        Assert.Contains("min", err.Message);
    }

    [Fact]
    public void ClampGradientPassesInsideAndOnTheBounds()
    {
        GradCheck.Check(t => t[0].Clamp(-0.5, 0.5), [LeafAwayFrom(5, -1, 1, [-0.5, 0.5], 4, 5)]);
        GradCheck.Check(t => t[0].Clamp(min: -0.3), [LeafAwayFrom(6, -1, 1, [-0.3], 4, 5)]);
        GradCheck.Check(t => t[0].Clamp(max: 0.2), [LeafAwayFrom(7, -1, 1, [0.2], 4, 5)]);
        var x = Tensor.FromArray(new double[] { -2, -1, 0, 1, 2 }, 5);
        x.RequiresGrad = true;
        x.Clamp(-1, 1).Sum().Backward();
        Assert.Equal(new double[] { 0, 1, 1, 1, 0 }, x.Grad!.ToFloat64Array());
    }

    public static TheoryData<int[], int[]> BroadcastShapes => new()
    {
        { [3, 4], [3, 4] },
        { [2, 3, 4], [4] },
        { [2, 1, 4], [3, 1] },
        { [], [2, 3] },
    };

    static double[] NaiveBinary(Tensor a, Tensor b, Func<double, double, double> f, out int[] shape)
    {
        shape = ShapeMath.Broadcast(a.Shape, b.Shape);
        var av = a.ToFloat64Array();
        var bv = b.ToFloat64Array();
        var result = new double[ShapeMath.Numel(shape)];
        for (long i = 0; i < result.Length; i++)
        {
            var idx = Reference.Unravel(i, shape);
            result[i] = f(av[Reference.BroadcastFlat(idx, a.Shape)], bv[Reference.BroadcastFlat(idx, b.Shape)]);
        }
        return result;
    }

    [Theory]
    [MemberData(nameof(BroadcastShapes))]
    public void PowOfTwoTensorsBroadcastsAndDifferentiatesBothOperands(int[] sa, int[] sb)
    {
        var a = Tensor.FromArray(Array.ConvertAll(Reference.RandomArray((int)ShapeMath.Numel(sa), 8, 0.2, 3), v => (float)v), sa);
        var b = Tensor.FromArray(Array.ConvertAll(Reference.RandomArray((int)ShapeMath.Numel(sb), 9, -2, 2), v => (float)v), sb);
        var expected = NaiveBinary(a, b, Math.Pow, out var shape);
        var y = a.Pow(b);
        Assert.Equal(shape, y.ShapeArray);
        Reference.Close(expected, y.ToFloat64Array(), 1e-6, 1e-5);
        GradCheck.Check(t => t[0].Pow(t[1]), [Reference.LeafInRange(10, 0.3, 2, sa), Reference.LeafInRange(11, -1.5, 2, sb)]);
    }

    [Fact]
    public void PowOfAPermutedBaseAndAConstantExponentTensor()
    {
        var a = Reference.LeafInRange(12, 0.3, 2, 3, 4);
        var b = Tensor.FromArray(new double[] { 0, 1, 2.5 }, 3, 1);
        GradCheck.Check(t => t[0].Permute(1, 0).Pow(t[1].Permute(1, 0)), [a, b]);
        Assert.Null(b.Grad);
    }

    [Theory]
    [MemberData(nameof(BroadcastShapes))]
    public void MaximumAndMinimumBroadcastAndRouteTheGradientToTheSelectedOperand(int[] sa, int[] sb)
    {
        foreach (bool maximum in new[] { true, false })
        {
            var a = Reference.Float(13, sa);
            // b as a transposed view (non-contiguous from rank 2 on).
            var b = Reference.Float(14, sb.Reverse().ToArray()).Permute(Enumerable.Range(0, sb.Length).Reverse().ToArray());
            var expected = NaiveBinary(a, b, maximum ? Math.Max : Math.Min, out var shape);
            var y = maximum ? a.Maximum(b) : a.Minimum(b);
            Assert.Equal(shape, y.ShapeArray);
            Reference.Close(expected, y.ToFloat64Array(), 0, 0);
            GradCheck.Check(t => maximum ? t[0].Maximum(t[1]) : t[0].Minimum(t[1]), [Reference.Leaf(15, sa), Reference.Leaf(16, sb)]);
        }
    }

    [Fact]
    public void MaximumAndMinimumSplitTheGradientEvenlyOnTies()
    {
        foreach (bool maximum in new[] { true, false })
        {
            var a = Tensor.FromArray(new double[] { 1, 2, 3 }, 3);
            var b = Tensor.FromArray(new double[] { 2, 2, 2 }, 3);
            a.RequiresGrad = b.RequiresGrad = true;
            var y = maximum ? a.Maximum(b) : a.Minimum(b);
            (y * Tensor.FromArray(new double[] { 10, 20, 30 }, 3)).Sum().Backward();
            Assert.Equal(maximum ? new double[] { 0, 10, 30 } : [10, 10, 0], a.Grad!.ToFloat64Array());
            Assert.Equal(maximum ? new double[] { 10, 10, 0 } : [0, 10, 30], b.Grad!.ToFloat64Array());
        }
        var x = Tensor.FromArray(new double[] { 1, 5 }, 2);
        x.RequiresGrad = true;
        x.Maximum(Tensor.FromArray(new double[] { 5 }, 1)).Sum().Backward();
        Assert.Equal(new double[] { 0, 0.5 }, x.Grad!.ToFloat64Array());
    }

    [Fact]
    public void MaximumPropagatesNaNAndRejectsMismatchedShapes()
    {
        var y = Tensor.FromArray(new[] { float.NaN, 1f }, 2).Maximum(Tensor.FromArray(new[] { 0f, float.NaN }, 2)).ToFloat32Array();
        Assert.True(float.IsNaN(y[0]) && float.IsNaN(y[1]));
        var err = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 3]).Maximum(Tensor.Zeros([4])));
        Assert.Contains("[2, 3]", err.Message);
        Assert.Contains("[4]", err.Message);
    }

    [Fact]
    public void IntegerTensorsAreRejectedWithTheOpName()
    {
        var ints = Tensor.FromArray(new[] { 1, 2 }, 2);
        Assert.Contains("Exp", Assert.Throws<ArgumentException>(() => ints.Exp()).Message);
        Assert.Contains("Int32", Assert.Throws<ArgumentException>(() => ints.Sqrt()).Message);
    }
}

using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.Core;

public class ArithmeticTests
{
    public static TheoryData<int[], int[]> BroadcastShapes => new()
    {
        { [3, 4], [3, 4] },
        { [2, 3, 4], [4] },
        { [2, 1, 4], [3, 1] },
        { [5, 1], [1, 6] },
        { [], [2, 3] },
        { [1, 3, 1, 2], [4, 1, 5, 1] },
        { [2, 0, 3], [3] },
    };

    [Theory]
    [MemberData(nameof(BroadcastShapes))]
    public void BinaryOpsBroadcastLikeNumPy(int[] sa, int[] sb)
    {
        var a = Reference.Float(1, sa);
        var b = Reference.Float(2, sb);
        var av = a.ToFloat64Array();
        var bv = Reference.RandomArray((int)ShapeMath.Numel(sb), 2);
        bv = b.ToFloat64Array();
        var outShape = ShapeMath.Broadcast(sa, sb);
        foreach (var (op, f) in new (Func<Tensor, Tensor, Tensor>, Func<double, double, double>)[]
                 { ((x, y) => x + y, (x, y) => x + y), ((x, y) => x - y, (x, y) => x - y), ((x, y) => x * y, (x, y) => x * y), ((x, y) => x / y, (x, y) => x / y) })
        {
            var c = op(a, b);
            Assert.Equal(outShape, c.ShapeArray);
            var expected = new double[ShapeMath.Numel(outShape)];
            for (long i = 0; i < expected.Length; i++)
            {
                var idx = Reference.Unravel(i, outShape);
                expected[i] = (float)f((float)av[Reference.BroadcastFlat(idx, sa)], (float)bv[Reference.BroadcastFlat(idx, sb)]);
            }
            Reference.Close(expected, c.ToFloat64Array(), 1e-6, 1e-6);
        }
    }

    [Fact]
    public void NonContiguousViewsAreReadThroughTheirStrides()
    {
        // A transposed view of a 3x4 matrix: element (i, j) of the view is element (j, i) of the base.
        var baseT = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 3, 4);
        var view = baseT.StridedAs([4, 3], [1, 4], 0);
        Assert.False(view.IsContiguous);
        var sum = view + Tensor.FromArray(new float[] { 100, 200, 300 }, 3);
        var expected = new double[12];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 3; j++) expected[i * 3 + j] = j * 4 + i + 100 * (j + 1);
        Reference.Close(expected, sum.ToFloat64Array());
        Reference.Close(Enumerable.Range(0, 12).Select(i => (double)(i % 3 * 4 + i / 3)).ToArray(), view.ToFloat64Array());
    }

    [Fact]
    public void LargeBroadcastAddUsesEveryRowCorrectly()
    {
        // Large enough to run multithreaded and through the SIMD path with a broadcast row.
        var a = Reference.Float(3, 300, 257);
        var b = Reference.Float(4, 257);
        var c = (a + b).ToFloat64Array();
        var av = a.ToFloat64Array();
        var bv = b.ToFloat64Array();
        for (int i = 0; i < 300; i++) for (int j = 0; j < 257; j++)
            Assert.Equal((float)(av[i * 257 + j] + bv[j]), (float)c[i * 257 + j]);
    }

    [Theory]
    [MemberData(nameof(BroadcastShapes))]
    public void BinaryOpGradientsMatchFiniteDifferences(int[] sa, int[] sb)
    {
        var a = Reference.Leaf(5, sa);
        var b = Reference.LeafInRange(6, 0.5, 2, sb);
        GradCheck.Check(x => x[0] + x[1], [a, b]);
        GradCheck.Check(x => x[0] - x[1], [a, b]);
        GradCheck.Check(x => x[0] * x[1], [a, b]);
        GradCheck.Check(x => x[0] / x[1], [a, b]);
    }

    [Fact]
    public void ScalarOpsAndTheirGradients()
    {
        var x = Reference.Leaf(7, 3, 5);
        GradCheck.Check(t => (t[0] * 2.5 + 1) - (3 - t[0] / 4) + -t[0], [x]);
        Reference.Close(x.ToFloat64Array().Select(v => 3 * v - 1).ToArray(), (3 * x - 1).ToFloat64Array(), 1e-12);
    }

    [Fact]
    public void SumOverAxesForwardAndBackward()
    {
        var x = Reference.Leaf(8, 2, 3, 4);
        var v = x.ToFloat64Array();
        var s = x.Sum([1], keepDim: false);
        Assert.Equal([2, 4], s.ShapeArray);
        var expected = new double[8];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++) expected[i * 4 + k] += v[i * 12 + j * 4 + k];
        Reference.Close(expected, s.ToFloat64Array(), 1e-12);
        Assert.Equal(v.Sum(), x.Sum().Item(), 10);
        Assert.Equal([2, 1, 4], x.Sum([1], keepDim: true).ShapeArray);
        GradCheck.Check(t => t[0].Sum([0, 2], keepDim: false), [x]);
        GradCheck.Check(t => t[0].Sum([-1], keepDim: true), [x]);
        GradCheck.Check(t => t[0].Sum(), [x]);
    }

    [Fact]
    public void ReshapeIsAViewWhenContiguousAndInfersMinusOne()
    {
        var x = Reference.Leaf(9, 2, 3, 4);
        var r = x.Reshape(4, -1);
        Assert.Equal([4, 6], r.ShapeArray);
        Assert.Same(x.Storage, r.Storage);
        GradCheck.Check(t => t[0].Reshape(6, 4) * t[0].Reshape(6, 4), [x]);
        var err = Assert.Throws<ArgumentException>(() => x.Reshape(5, -1));
        Assert.Contains("[2, 3, 4]", err.Message);
    }
}

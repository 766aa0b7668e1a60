using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.NeuralOps;

public class SoftmaxTests
{
    public static TheoryData<int[], int> Cases => new()
    {
        { [7], 0 },
        { [3, 5], -1 },
        { [3, 5], 0 },
        { [2, 3, 4], 1 },
        { [2, 3, 37], 2 },
        { [64, 700], -1 },   // large enough for the threaded path and long SIMD rows
        { [40, 900, 2], 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesNaiveLoops(int[] shape, int axis)
    {
        var x = Reference.Float(1, shape) * 4;
        int a = axis < 0 ? axis + shape.Length : axis;
        var xv = x.ToFloat64Array();
        foreach (var log in new[] { false, true })
        {
            var y = log ? F.LogSoftmax(x, axis) : F.Softmax(x, axis);
            Assert.Equal(shape, y.ShapeArray);
            Reference.Close(Naive.Softmax(xv, shape, a, log), y.ToFloat64Array(), 1e-6, 1e-5, log ? "log_softmax" : "softmax");
        }
    }

    [Fact]
    public void NonContiguousInputsAreReadThroughTheirStrides()
    {
        var baseX = Reference.Float(2, 4, 6, 5);
        var permuted = baseX.Permute(2, 0, 1);              // [5, 4, 6], strided
        var pv = Kernels.Copy(permuted).ToFloat64Array();
        foreach (var axis in new[] { 0, 1, 2 })
        {
            Reference.Close(Naive.Softmax(pv, [5, 4, 6], axis, false), F.Softmax(permuted, axis).ToFloat64Array(), 1e-6, 1e-5);
            Reference.Close(Naive.Softmax(pv, [5, 4, 6], axis, true), F.LogSoftmax(permuted, axis).ToFloat64Array(), 1e-6, 1e-5);
        }
        // Every other column of a [6, 8] matrix: strided rows.
        var m = Reference.Float(3, 6, 8);
        var cols = m.StridedAs([6, 4], [8, 2], 1);
        var cv = Kernels.Copy(cols).ToFloat64Array();
        Reference.Close(Naive.Softmax(cv, [6, 4], 1, false), F.Softmax(cols).ToFloat64Array(), 1e-6, 1e-5);
    }

    [Fact]
    public void LargeLogitsDoNotOverflow()
    {
        var x = Tensor.FromArray(new float[] { 1000, 1001, 1002, -1000, -1001, -1002, 88, 89, 90, 3e4f, 0, -3e4f }, 4, 3);
        var p = F.Softmax(x).ToFloat64Array();
        var lp = F.LogSoftmax(x).ToFloat64Array();
        var expected = Naive.Softmax(x.ToFloat64Array(), [4, 3], 1, false);
        var expectedLog = Naive.Softmax(x.ToFloat64Array(), [4, 3], 1, true);
        Assert.All(p, v => Assert.True(double.IsFinite(v)));
        Assert.All(lp, v => Assert.True(double.IsFinite(v)));
        Reference.Close(expected, p, 1e-6, 1e-5);
        Reference.Close(expectedLog, lp, 1e-4, 1e-6);
        Assert.Equal(-6e4, lp[11], 0);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Reference.LeafInRange(4, -3.0, 3.0, 3, 4, 5);
        foreach (var axis in new[] { -1, 1, 0 })
        {
            GradCheck.Check(t => F.Softmax(t[0], axis), [x]);
            GradCheck.Check(t => F.LogSoftmax(t[0], axis), [x]);
        }
        // A transposed view as input, and a softmax feeding a second use of its input.
        var m = Reference.Leaf(5, 4, 6);
        var view = m.StridedAs([6, 4], [1, 6], 0);
        view.RequiresGrad = true;
        GradCheck.Check(t => F.Softmax(t[0]) * t[0], [view]);
        GradCheck.Check(t => F.LogSoftmax(t[0], 0), [view]);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => F.Softmax(Tensor.Zeros([2, 3]), 2));
        Assert.Throws<ArgumentException>(() => F.Softmax(Tensor.FromArray(new[] { 1, 2 }, 2)));
        Assert.Throws<ArgumentException>(() => F.LogSoftmax(Tensor.Scalar(1)));
    }
}

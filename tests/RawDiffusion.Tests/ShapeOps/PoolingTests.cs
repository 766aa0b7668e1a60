using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.ShapeOps;

public class PoolingTests
{
    /// <summary>Naive pooling over [planes, h, w] in double: max (padding never wins) or the window sum over kernel².</summary>
    static double[] NaivePool(double[] x, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, bool max)
    {
        int outH = (h + 2 * ph - kh) / sh + 1, outW = (w + 2 * pw - kw) / sw + 1;
        var y = new double[planes * outH * outW];
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < outH; i++)
                for (int j = 0; j < outW; j++)
                {
                    double acc = max ? double.NegativeInfinity : 0;
                    for (int a = 0; a < kh; a++)
                        for (int b = 0; b < kw; b++)
                        {
                            int ih = i * sh - ph + a, iw = j * sw - pw + b;
                            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                            double v = x[(p * h + ih) * w + iw];
                            acc = max ? Math.Max(acc, v) : acc + v;
                        }
                    y[(p * outH + i) * outW + j] = max ? acc : acc / (kh * kw);
                }
        return y;
    }

    [Theory]
    [InlineData(2, 3, 8, 8, 2, null, 0)]
    [InlineData(1, 2, 9, 7, 3, 2, 1)]
    [InlineData(2, 2, 5, 6, 3, 1, 1)]
    [InlineData(1, 3, 7, 5, 4, 3, 2)]
    [InlineData(1, 1, 5, 5, 5, 1, 0)]
    public void Pool2dMatchesNaiveLoopsOnStridedInputsAndGradientsMatchFiniteDifferences(int n, int c, int h, int w, int kernel, int? stride, int padding)
    {
        var x = Reference.Float(1, n, c, h, w + 3).Slice(3, 2, w);
        var xv = x.ToFloat64Array();
        int s = stride ?? kernel;
        var max = F.MaxPool2d(x, kernel, stride, padding);
        var avg = F.AvgPool2d(x, kernel, stride, padding);
        int outH = (h + 2 * padding - kernel) / s + 1, outW = (w + 2 * padding - kernel) / s + 1;
        Assert.Equal([n, c, outH, outW], max.ShapeArray);
        Assert.Equal([n, c, outH, outW], avg.ShapeArray);
        Reference.Close(NaivePool(xv, n * c, h, w, kernel, kernel, s, s, padding, padding, max: true), max.ToFloat64Array(), 0, 0, "max");
        Reference.Close(NaivePool(xv, n * c, h, w, kernel, kernel, s, s, padding, padding, max: false), avg.ToFloat64Array(), 1e-6, 1e-6, "avg");

        var leaf = ShapeTestData.TransposedLeaf(2, n, c, h, w);
        GradCheck.Check(t => F.MaxPool2d(t[0], kernel, stride, padding), [leaf]);
        GradCheck.Check(t => F.AvgPool2d(t[0], kernel, stride, padding), [leaf]);
    }

    [Theory]
    [InlineData(2, 3, 9, 2, null, 0)]
    [InlineData(1, 2, 10, 3, 2, 1)]
    [InlineData(2, 1, 6, 4, 1, 2)]
    public void Pool1dMatchesNaiveLoopsAndFiniteDifferences(int n, int c, int l, int kernel, int? stride, int padding)
    {
        var x = ShapeTestData.EveryOtherFloat(3, n, c, l);
        var xv = x.ToFloat64Array();
        int s = stride ?? kernel;
        var max = F.MaxPool1d(x, kernel, stride, padding);
        Assert.Equal([n, c, (l + 2 * padding - kernel) / s + 1], max.ShapeArray);
        Reference.Close(NaivePool(xv, n * c, 1, l, 1, kernel, 1, s, 0, padding, max: true), max.ToFloat64Array(), 0, 0, "max");
        Reference.Close(NaivePool(xv, n * c, 1, l, 1, kernel, 1, s, 0, padding, max: false), F.AvgPool1d(x, kernel, stride, padding).ToFloat64Array(), 1e-6, 1e-6, "avg");

        var leaf = ShapeTestData.TransposedLeaf(4, n, c, l);
        GradCheck.Check(t => F.MaxPool1d(t[0], kernel, stride, padding), [leaf]);
        GradCheck.Check(t => F.AvgPool1d(t[0], kernel, stride, padding), [leaf]);
    }

    [Fact]
    public void MaxPoolGradientGoesToTheArgmaxAndAccumulatesWhereWindowsShareIt()
    {
        // 1x1x3x3 with the maximum in the middle: every 2x2 window of stride 1 picks it.
        var x = Tensor.FromArray(new double[] { 1, 2, 3, 4, 9, 5, 6, 7, 8 }, 1, 1, 3, 3);
        x.RequiresGrad = true;
        var y = F.MaxPool2d(x, 2, 1);
        Assert.Equal(new double[] { 9, 9, 9, 9 }, y.ToFloat64Array());
        y.Sum().Backward();
        Assert.Equal(new double[] { 0, 0, 0, 0, 4, 0, 0, 0, 0 }, x.Grad!.ToFloat64Array());

        var nan = Tensor.FromArray(new float[] { 1, float.NaN, 3, 4 }, 1, 1, 2, 2);
        Assert.True(double.IsNaN(F.MaxPool2d(nan, 2).Item()));
    }

    [Fact]
    public void LargePoolingRunsThreadedAndMatchesTheNaiveLoops()
    {
        var x = Reference.Float(5, 4, 16, 30, 30);
        var xv = x.ToFloat64Array();
        Reference.Close(NaivePool(xv, 64, 30, 30, 3, 3, 2, 2, 1, 1, max: true), F.MaxPool2d(x, 3, 2, 1).ToFloat64Array(), 0, 0);
        Reference.Close(NaivePool(xv, 64, 30, 30, 2, 2, 2, 2, 0, 0, max: false), F.AvgPool2d(x, 2).ToFloat64Array(), 1e-6, 1e-6);
    }

    [Fact]
    public void BadPoolingArgumentsAreRejected()
    {
        var x = Tensor.Zeros([1, 2, 4, 4]);
        Assert.Throws<ArgumentOutOfRangeException>(() => F.MaxPool2d(x, 2, padding: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.AvgPool2d(x, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.AvgPool2d(x, 2, 0));
        var err = Assert.Throws<ArgumentException>(() => F.MaxPool2d(x, 5));
        Assert.Contains("[1, 2, 4, 4]", err.Message);
        Assert.Throws<ArgumentException>(() => F.MaxPool2d(Tensor.Zeros([2, 4, 4]), 2));
        Assert.Throws<ArgumentException>(() => F.MaxPool1d(x, 2));
        Assert.Throws<ArgumentException>(() => F.AvgPool2d(Tensor.Zeros([1, 1, 4, 4], DType.Int32), 2));
    }
}

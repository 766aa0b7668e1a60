using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.ShapeOps;

public class ConvolutionTests
{
    /// <summary>One convolution configuration: sizes and (height, width) stride, padding, dilation.</summary>
    public sealed record Case(int N, int C, int H, int W, int O, int Kh, int Kw, (int, int) Stride, (int, int) Padding, (int, int) Dilation, int Groups, bool Bias)
    {
        public int OutH => (H + 2 * Padding.Item1 - Dilation.Item1 * (Kh - 1) - 1) / Stride.Item1 + 1;
        public int OutW => (W + 2 * Padding.Item2 - Dilation.Item2 * (Kw - 1) - 1) / Stride.Item2 + 1;
        public int[] XShape => [N, C, H, W];
        public int[] WShape => [O, C / Groups, Kh, Kw];
        public int[] YShape => [N, O, OutH, OutW];
        public override string ToString() =>
            $"x[{N},{C},{H},{W}] w[{O},{C / Groups},{Kh},{Kw}] s{Stride} p{Padding} d{Dilation} g{Groups}{(Bias ? " bias" : "")}";
    }

    /// <summary>The seven loops of the definition, in double; with <paramref name="gradY"/> it also runs the adjoint
    /// loops (same index arithmetic, accumulating the other way) for dX, dW and dB.</summary>
    static double[] Naive(Case c, double[] x, double[] w, double[]? b, double[]? gradY, out double[] gx, out double[] gw, out double[] gb)
    {
        int cg = c.C / c.Groups, og = c.O / c.Groups, outH = c.OutH, outW = c.OutW, height = c.H, width = c.W, kh = c.Kh, kw = c.Kw;
        var ((sh, sw), (ph, pw), (dh, dw)) = (c.Stride, c.Padding, c.Dilation);
        var y = new double[c.N * c.O * outH * outW];
        gx = new double[x.Length];
        gw = new double[w.Length];
        gb = new double[c.O];
        for (int n = 0; n < c.N; n++)
            for (int o = 0; o < c.O; o++)
                for (int i = 0; i < outH; i++)
                    for (int j = 0; j < outW; j++)
                    {
                        int yi = ((n * c.O + o) * outH + i) * outW + j;
                        double s = b?[o] ?? 0, dy = gradY?[yi] ?? 0;
                        gb[o] += dy;
                        for (int ci = 0; ci < cg; ci++)
                            for (int p = 0; p < kh; p++)
                                for (int q = 0; q < kw; q++)
                                {
                                    int ih = i * sh - ph + p * dh, iw = j * sw - pw + q * dw;
                                    if (ih < 0 || ih >= height || iw < 0 || iw >= width) continue;
                                    int xi = ((n * c.C + o / og * cg + ci) * height + ih) * width + iw, wi = ((o * cg + ci) * kh + p) * kw + q;
                                    s += x[xi] * w[wi];
                                    gx[xi] += w[wi] * dy;
                                    gw[wi] += x[xi] * dy;
                                }
                        y[yi] = s;
                    }
        return y;
    }

    static Tensor Conv(Case c, Tensor x, Tensor w, Tensor? b) => F.Conv2d(x, w, b, c.Stride, c.Padding, c.Dilation, c.Groups);

    public static TheoryData<Case> ForwardCases => new()
    {
        new Case(2, 3, 7, 6, 4, 3, 3, (1, 1), (1, 1), (1, 1), 1, true),
        new Case(2, 4, 9, 8, 6, 3, 3, (2, 2), (1, 1), (1, 1), 2, false),
        new Case(1, 2, 11, 10, 3, 3, 3, (1, 1), (2, 2), (2, 2), 1, true),
        new Case(3, 4, 7, 5, 4, 3, 3, (1, 1), (1, 1), (1, 1), 4, true),          // depthwise
        new Case(2, 4, 8, 7, 8, 3, 3, (2, 1), (1, 0), (1, 1), 4, false),         // depthwise, channel multiplier 2
        new Case(3, 5, 4, 6, 7, 1, 1, (1, 1), (0, 0), (1, 1), 1, true),          // pointwise: no im2col
        new Case(2, 6, 5, 3, 4, 1, 1, (1, 1), (0, 0), (1, 1), 2, false),         // pointwise, grouped
        new Case(1, 6, 5, 3, 9, 1, 1, (1, 1), (0, 0), (1, 1), 3, true),          // pointwise, more groups than images
        new Case(2, 3, 7, 7, 2, 1, 1, (2, 2), (0, 0), (1, 1), 1, true),          // 1x1 with stride: im2col path
        new Case(1, 3, 13, 9, 5, 2, 4, (3, 2), (1, 2), (2, 1), 1, true),         // odd, asymmetric everything
        new Case(1, 6, 6, 6, 4, 3, 3, (1, 1), (1, 1), (1, 1), 2, true),          // more groups than images
        new Case(2, 2, 3, 3, 3, 5, 5, (1, 1), (2, 2), (1, 1), 1, true),          // kernel larger than the image
    };

    [Theory]
    [MemberData(nameof(ForwardCases))]
    public void ForwardMatchesTheNaiveLoopsInFloat32OnStridedInputs(Case c)
    {
        // Inputs are non-contiguous views: x is cut from wider rows, the weight every other element of a wider base.
        var x = Reference.Float(1, [c.N, c.C, c.H, c.W + 2]).Slice(3, 1, c.W);
        var w = ShapeTestData.EveryOtherFloat(2, c.WShape);
        var b = c.Bias ? Reference.Float(3, c.O) : null;
        Assert.False(x.IsContiguous);
        var y = Conv(c, x, w, b);
        Assert.Equal(c.YShape, y.ShapeArray);
        var expected = Naive(c, x.ToFloat64Array(), w.ToFloat64Array(), b?.ToFloat64Array(), null, out _, out _, out _);
        Reference.Close(expected, y.ToFloat64Array(), 1e-5, 1e-5);
    }

    public static TheoryData<Case> GradientCases => new()
    {
        new Case(2, 2, 5, 4, 2, 3, 3, (1, 1), (1, 1), (1, 1), 1, true),
        new Case(1, 4, 6, 5, 4, 3, 2, (2, 1), (1, 1), (1, 2), 2, true),
        new Case(2, 3, 5, 5, 3, 3, 3, (1, 1), (2, 2), (2, 2), 3, false),         // depthwise, dilated
        new Case(2, 4, 3, 3, 2, 1, 1, (1, 1), (0, 0), (1, 1), 2, true),          // pointwise, grouped
        new Case(1, 2, 5, 4, 3, 1, 1, (2, 2), (1, 0), (1, 1), 1, false),         // 1x1 with stride and padding
    };

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void GradientsForInputWeightAndBiasMatchFiniteDifferences(Case c)
    {
        var x = ShapeTestData.TransposedLeaf(4, c.XShape);
        var w = Reference.Leaf(5, c.WShape);
        var inputs = c.Bias ? new[] { x, w, Reference.Leaf(6, c.O) } : [x, w];
        GradCheck.Check(t => Conv(c, t[0], t[1], c.Bias ? t[2] : null), inputs);
    }

    [Fact]
    public void BackwardOverSeveralColumnRunsMatchesTheNaiveAdjointLoops()
    {
        // 16 channels x 9 taps x 64x64 pixels is 589,824 column elements per image, so the 2^22-element column
        // budget makes runs of 7 images: 9 images take a full run and a partial one.
        var c = new Case(9, 16, 64, 64, 2, 3, 3, (1, 1), (1, 1), (1, 1), 2, true);
        var x = Reference.Leaf(7, c.XShape);
        var w = Reference.Leaf(8, c.WShape);
        var b = Reference.Leaf(9, c.O);
        var gradY = Reference.RandomArray((int)ShapeMath.Numel(c.YShape), 10);
        var expected = Naive(c, x.ToFloat64Array(), w.ToFloat64Array(), b.ToFloat64Array(), gradY, out var gx, out var gw, out var gb);
        var y = Conv(c, x, w, b);
        Reference.Close(expected, y.ToFloat64Array(), 1e-12, 1e-12);
        y.Backward(Tensor.FromArray(gradY, c.YShape));
        Reference.Close(gx, x.Grad!.ToFloat64Array(), 1e-10, 1e-10, "dX");
        Reference.Close(gw, w.Grad!.ToFloat64Array(), 1e-10, 1e-10, "dW");
        Reference.Close(gb, b.Grad!.ToFloat64Array(), 1e-10, 1e-10, "dB");
    }

    [Fact]
    public void PointwiseBackwardMatchesTheNaiveAdjointLoops()
    {
        var c = new Case(3, 6, 5, 7, 4, 1, 1, (1, 1), (0, 0), (1, 1), 2, true);
        var x = Reference.Leaf(11, c.XShape);
        var w = Reference.Leaf(12, c.WShape);
        var b = Reference.Leaf(13, c.O);
        var gradY = Reference.RandomArray((int)ShapeMath.Numel(c.YShape), 14);
        Naive(c, x.ToFloat64Array(), w.ToFloat64Array(), b.ToFloat64Array(), gradY, out var gx, out var gw, out var gb);
        Conv(c, x, w, b).Backward(Tensor.FromArray(gradY, c.YShape));
        Reference.Close(gx, x.Grad!.ToFloat64Array(), 1e-12, 1e-12, "dX");
        Reference.Close(gw, w.Grad!.ToFloat64Array(), 1e-12, 1e-12, "dW");
        Reference.Close(gb, b.Grad!.ToFloat64Array(), 1e-12, 1e-12, "dB");
    }

    [Theory]
    [InlineData(2, 3, 11, 4, 3, 1, 1, 1, 1, true)]
    [InlineData(1, 4, 10, 6, 3, 2, 2, 2, 2, false)]
    [InlineData(3, 2, 7, 2, 1, 1, 0, 1, 1, true)]
    [InlineData(2, 4, 9, 4, 3, 1, 1, 1, 4, true)]
    public void Conv1dMatchesTheNaiveLoopsAndFiniteDifferences(int n, int c, int l, int o, int k, int stride, int padding, int dilation, int groups, bool bias)
    {
        // A 1-D convolution is the 2-D one of height 1, so the 2-D reference checks it.
        var asCase = new Case(n, c, 1, l, o, 1, k, (1, stride), (0, padding), (1, dilation), groups, bias);
        var x = ShapeTestData.EveryOtherFloat(15, n, c, l);
        var w = ShapeTestData.EveryOtherFloat(16, o, c / groups, k);
        var b = bias ? Reference.Float(17, o) : null;
        var y = F.Conv1d(x, w, b, stride, padding, dilation, groups);
        Assert.Equal([n, o, asCase.OutW], y.ShapeArray);
        var expected = Naive(asCase, x.ToFloat64Array(), w.ToFloat64Array(), b?.ToFloat64Array(), null, out _, out _, out _);
        Reference.Close(expected, y.ToFloat64Array(), 1e-5, 1e-5);

        var inputs = new List<Tensor> { ShapeTestData.TransposedLeaf(18, n, c, l), Reference.Leaf(19, o, c / groups, k) };
        if (bias) inputs.Add(Reference.Leaf(20, o));
        GradCheck.Check(t => F.Conv1d(t[0], t[1], bias ? t[2] : null, stride, padding, dilation, groups), [.. inputs]);
    }

    [Fact]
    public void BadArgumentsAreRejectedWithTheShapes()
    {
        var x = Tensor.Zeros([2, 4, 5, 5]);
        var err = Assert.Throws<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros([3, 3, 3, 3])));
        Assert.Contains("[2, 4, 5, 5]", err.Message);
        Assert.Contains("[3, 3, 3, 3]", err.Message);
        Assert.Throws<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros([3, 2, 3, 3]), groups: 2));
        Assert.Throws<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros([4, 4, 3, 3]), Tensor.Zeros([3])));
        Assert.Throws<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros([4, 4, 7, 7])));
        Assert.Throws<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros([4, 4, 3, 3], DType.Float64)));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.Conv2d(x, Tensor.Zeros([4, 4, 3, 3]), stride: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.Conv2d(x, Tensor.Zeros([4, 4, 3, 3]), padding: -1));
        Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros([4, 5, 5]), Tensor.Zeros([4, 4, 3, 3])));
        Assert.Throws<ArgumentException>(() => F.Conv1d(Tensor.Zeros([2, 4, 5]), Tensor.Zeros([4, 4, 3, 3])));
        Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros([1, 1, 2, 2]), Tensor.Zeros([1, 1, 4, 4]), stride: 2));
    }
}

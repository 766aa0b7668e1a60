using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.ShapeOps;

public class UpsampleTests
{
    [Theory]
    [InlineData(2, 3, 4, 5, 2)]
    [InlineData(1, 2, 3, 3, 3)]
    [InlineData(1, 1, 2, 7, 1)]
    public void UpsampleNearest2dRepeatsEachPixelOverItsBlock(int n, int c, int h, int w, int scale)
    {
        var x = ShapeTestData.EveryOtherFloat(1, n, c, h, w);
        var xv = x.ToFloat64Array();
        var y = F.UpsampleNearest(x, scale);
        int oh = h * scale, ow = w * scale;
        Assert.Equal([n, c, oh, ow], y.ShapeArray);
        var yv = y.ToFloat64Array();
        for (int p = 0; p < n * c; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    Assert.Equal(xv[(p * h + i / scale) * w + j / scale], yv[(p * oh + i) * ow + j]);
        GradCheck.Check(t => F.UpsampleNearest(t[0], scale), [ShapeTestData.TransposedLeaf(2, n, c, h, w)]);
    }

    [Theory]
    [InlineData(2, 3, 5, 2)]
    [InlineData(1, 2, 4, 3)]
    public void UpsampleNearest1dRepeatsEachElement(int n, int c, int l, int scale)
    {
        var x = ShapeTestData.EveryOtherFloat(3, n, c, l);
        var xv = x.ToFloat64Array();
        var y = F.UpsampleNearest(x, scale);
        Assert.Equal([n, c, l * scale], y.ShapeArray);
        var yv = y.ToFloat64Array();
        for (int p = 0; p < n * c; p++)
            for (int j = 0; j < l * scale; j++)
                Assert.Equal(xv[p * l + j / scale], yv[p * l * scale + j]);
        GradCheck.Check(t => F.UpsampleNearest(t[0], scale), [ShapeTestData.TransposedLeaf(4, n, c, l)]);
    }

    [Fact]
    public void LargeUpsampleRunsThreadedAndItsGradientSumsEachBlock()
    {
        var x = Reference.Leaf(5, 2, 8, 24, 24);
        var y = F.UpsampleNearest(x, 2);
        var xv = x.ToFloat64Array();
        var yv = y.ToFloat64Array();
        for (int p = 0; p < 16; p++)
            for (int i = 0; i < 48; i++)
                for (int j = 0; j < 48; j++)
                    Assert.Equal(xv[(p * 24 + i / 2) * 24 + j / 2], yv[(p * 48 + i) * 48 + j]);
        var upstream = Reference.RandomArray(yv.Length, 6);
        y.Backward(Tensor.FromArray(upstream, 2, 8, 48, 48));
        var expected = new double[xv.Length];
        for (int p = 0; p < 16; p++)
            for (int i = 0; i < 48; i++)
                for (int j = 0; j < 48; j++)
                    expected[(p * 24 + i / 2) * 24 + j / 2] += upstream[(p * 48 + i) * 48 + j];
        Reference.Close(expected, x.Grad!.ToFloat64Array(), 1e-12, 1e-12);
    }

    [Fact]
    public void BadUpsampleArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => F.UpsampleNearest(Tensor.Zeros([1, 1, 2, 2]), 0));
        var err = Assert.Throws<ArgumentException>(() => F.UpsampleNearest(Tensor.Zeros([2, 2]), 2));
        Assert.Contains("[2, 2]", err.Message);
    }
}

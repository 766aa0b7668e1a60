using RawDiffusion.Nn;

namespace RawDiffusion.Tests.Training;

public class InitTests
{
    [Fact]
    public void FansFollowPyTorchForLinearAndConvolutionWeights()
    {
        Assert.Equal((5L, 7L), Init.Fans([7, 5]));
        Assert.Equal((4L * 9, 8L * 9), Init.Fans([8, 4, 3, 3]));
        Assert.Throws<ArgumentException>(() => Init.Fans([3]));
    }

    static (double Mean, double Variance, double MaxAbs) Stats(Tensor t)
    {
        var v = t.ToFloat64Array();
        double mean = v.Average();
        return (mean, v.Select(x => (x - mean) * (x - mean)).Average(), v.Max(Math.Abs));
    }

    [Fact]
    public void DefaultLinearOrConvInitialisationHasBound1OverSqrtFanIn()
    {
        var w = Tensor.Empty([64, 16, 3, 3]);
        var b = Tensor.Empty([64]);
        Init.LinearOrConvDefault(w, b, new Generator(1));
        double bound = 1 / Math.Sqrt(16 * 9);
        var (mean, variance, maxAbs) = Stats(w);
        Assert.True(maxAbs <= bound * (1 + 1e-6), $"max |w| {maxAbs} above bound {bound}");
        Assert.True(maxAbs > 0.95 * bound);
        Assert.True(Math.Abs(mean) < 0.02 * bound);
        Assert.InRange(variance / (bound * bound / 3), 0.95, 1.05);
        Assert.True(Stats(b).MaxAbs <= bound * (1 + 1e-6));
        Assert.True(Stats(b).MaxAbs > 0.5 * bound);
    }

    [Fact]
    public void KaimingAndXavierUseTheirGainsAndFans()
    {
        var g = new Generator(2);
        var w = Tensor.Empty([200, 100]);
        Init.KaimingUniform(w, 0, FanMode.FanIn, g);
        Assert.InRange(Stats(w).MaxAbs, 0.97 * Math.Sqrt(6.0 / 100), Math.Sqrt(6.0 / 100));

        Init.KaimingNormal(w, 0, FanMode.FanOut, g);
        Assert.InRange(Math.Sqrt(Stats(w).Variance) / Math.Sqrt(2.0 / 200), 0.97, 1.03);

        Init.XavierUniform(w, 2, g);
        double bound = 2 * Math.Sqrt(6.0 / 300);
        Assert.InRange(Stats(w).MaxAbs, 0.97 * bound, bound * (1 + 1e-6));
    }

    [Fact]
    public void NormalUniformAndConstantsFillInPlaceIncludingStridedViews()
    {
        var t = Tensor.Empty([100, 200], DType.Float64);
        Init.Normal(t, 3, 0.5, new Generator(3));
        var (mean, variance, _) = Stats(t);
        Assert.InRange(mean, 2.98, 3.02);
        Assert.InRange(Math.Sqrt(variance), 0.49, 0.51);

        var view = t.Transpose(0, 1);
        Init.Uniform(view, 5, 6, new Generator(4));
        Assert.True(t.ToFloat64Array().All(v => v >= 5 && v <= 6));

        Init.Zeros(t);
        Assert.True(t.ToFloat64Array().All(v => v == 0));
        Init.Ones(t);
        Assert.True(t.ToFloat64Array().All(v => v == 1));
        Init.Constant(t, -2);
        Assert.True(t.ToFloat64Array().All(v => v == -2));
    }

    [Fact]
    public void TheSameSeedGivesTheSameModel()
    {
        using var a = new Linear(8, 4, generator: new Generator(9));
        using var b = new Linear(8, 4, generator: new Generator(9));
        using var c = new Linear(8, 4, generator: new Generator(10));
        Assert.Equal(a.Weight.ToFloat32Array(), b.Weight.ToFloat32Array());
        Assert.Equal(a.Bias!.ToFloat32Array(), b.Bias!.ToFloat32Array());
        Assert.NotEqual(a.Weight.ToFloat32Array(), c.Weight.ToFloat32Array());
    }
}

using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.NeuralOps;

public class DropoutTests
{
    [Fact]
    public void IdentityWhenNotTrainingOrWhenNothingIsDropped()
    {
        var x = Reference.Float(1, 4, 5);
        Assert.Same(x, F.Dropout(x, 0.5, training: false));
        Assert.Same(x, F.Dropout(x, 0, training: true));
    }

    [Fact]
    public void DropsAboutPAndScalesTheSurvivors()
    {
        var x = Reference.Float(2, 200, 300) + 2;   // values in [1, 3]: a zero output means dropped
        var xv = x.ToFloat64Array();
        var y = F.Dropout(x, 0.3, training: true, new Generator(5)).ToFloat64Array();
        int dropped = 0;
        for (int i = 0; i < y.Length; i++)
        {
            if (y[i] == 0) dropped++;
            else Assert.Equal(xv[i] / 0.7, y[i], 1e-5);
        }
        Assert.InRange(dropped / (double)y.Length, 0.29, 0.31);
    }

    [Fact]
    public void TheSameSeedGivesTheSameMask()
    {
        var x = Reference.Float(3, 64, 33);
        var a = F.Dropout(x, 0.5, true, new Generator(9)).ToFloat64Array();
        var b = F.Dropout(x, 0.5, true, new Generator(9)).ToFloat64Array();
        var c = F.Dropout(x, 0.5, true, new Generator(10)).ToFloat64Array();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void GradientIsTheScaledMask()
    {
        var x = Reference.Leaf(4, 3, 7);
        GradCheck.Check(t => F.Dropout(t[0], 0.4, true, new Generator(11)), [x]);
        x.ZeroGrad();
        var y = F.Dropout(x, 0.4, true, new Generator(12));
        y.Sum().Backward();
        var yv = y.ToFloat64Array();
        var g = x.Grad!.ToFloat64Array();
        for (int i = 0; i < g.Length; i++) Assert.Equal(yv[i] == 0 ? 0 : 1 / 0.6, g[i], 1e-12);
    }

    [Fact]
    public void ProbabilitiesOutsideTheUnitIntervalAreRejected()
    {
        var x = Reference.Float(5, 3);
        foreach (var p in new[] { -0.1, 1, 1.5, double.NaN })
            Assert.Throws<ArgumentOutOfRangeException>(() => F.Dropout(x, p, true));
    }
}

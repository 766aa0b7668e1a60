using RawDiffusion.Nn;
using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.Training;

public class LinearTests
{
    static float[] NaiveLinear(float[] x, int rows, float[] w, float[]? b, int inF, int outF)
    {
        var y = new float[rows * outF];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outF; o++)
            {
                double s = b?[o] ?? 0;
                for (int i = 0; i < inF; i++) s += (double)x[r * inF + i] * w[o * inF + i];
                y[r * outF + o] = (float)s;
            }
        return y;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ForwardMatchesANaiveLoopForBatchedAndVectorInputs(bool bias)
    {
        using var linear = new Linear(5, 7, bias, new Generator(1));
        var w = linear.Weight.ToFloat32Array();
        var b = linear.Bias?.ToFloat32Array();

        var x = Reference.Float(2, 2, 3, 5);
        var y = linear.Forward(x);
        Assert.Equal([2, 3, 7], y.ShapeArray);
        Reference.Close(NaiveLinear(x.ToFloat32Array(), 6, w, b, 5, 7), y.ToFloat32Array(), 1e-5);

        var permuted = Reference.Float(3, 5, 4).Transpose(0, 1);
        Reference.Close(NaiveLinear(permuted.Contiguous().ToFloat32Array(), 4, w, b, 5, 7), linear.Forward(permuted).ToFloat32Array(), 1e-5);

        var v = Reference.Float(4, 5);
        var yv = linear.Forward(v);
        Assert.Equal([7], yv.ShapeArray);
        Reference.Close(NaiveLinear(v.ToFloat32Array(), 1, w, b, 5, 7), yv.ToFloat32Array(), 1e-5);
    }

    [Fact]
    public void GradientsOfInputWeightAndBiasPassAGradientCheck()
    {
        using var linear = new Linear(3, 2, generator: new Generator(2), dtype: DType.Float64);
        var x = Reference.Leaf(3, 2, 2, 3);
        GradCheck.Check(t => linear.Forward(t[0]), [x, linear.Weight, linear.Bias!]);
        var v = Reference.Leaf(4, 3);
        GradCheck.Check(t => linear.Forward(t[0]), [v, linear.Weight, linear.Bias!]);
    }

    [Fact]
    public void WrongInputWidthIsRejectedWithTheShapes()
    {
        using var linear = new Linear(3, 2);
        var error = Assert.Throws<ArgumentException>(() => linear.Forward(Tensor.Zeros([4, 5])));
        Assert.Contains("[..., 3]", error.Message);
        Assert.Contains("[4, 5]", error.Message);
    }

    [Fact]
    public void SequentialChainsLayersWithActivations()
    {
        var g = new Generator(5);
        using var net = new Sequential(new Linear(4, 6, generator: g), new Activation("square", t => t * t), new Linear(6, 2, generator: g));
        Assert.Equal(3, net.Count);
        var x = Reference.Float(6, 3, 4);
        var first = (Linear)net[0];
        var last = (Linear)net[2];
        var h = NaiveLinear(x.ToFloat32Array(), 3, first.Weight.ToFloat32Array(), first.Bias!.ToFloat32Array(), 4, 6).Select(v => v * v).ToArray();
        Reference.Close(NaiveLinear(h, 3, last.Weight.ToFloat32Array(), last.Bias!.ToFloat32Array(), 6, 2), net.Forward(x).ToFloat32Array(), 1e-5);
        Assert.Equal("square", net[1].ToString());
    }
}

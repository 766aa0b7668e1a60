using MathNet.Numerics;
using RawDiffusion.Tests.Testing;
using static RawDiffusion.Tests.Elementwise.ElementwiseTestData;

namespace RawDiffusion.Tests.Elementwise;

public class ActivationTests
{
    public static TheoryData<string> Activations => ["relu", "leakyRelu", "leakyRelu0.2", "sigmoid", "tanh", "silu", "gelu"];

    static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    static (Func<Tensor, Tensor> Method, Func<Tensor, Tensor> Functional, Func<double, double> Reference) Activation(string name) => name switch
    {
        "relu" => (t => t.Relu(), F.Relu, v => Math.Max(v, 0)),
        "leakyRelu" => (t => t.LeakyRelu(), t => F.LeakyRelu(t), v => v > 0 ? v : 0.01 * v),
        "leakyRelu0.2" => (t => t.LeakyRelu(0.2), t => F.LeakyRelu(t, 0.2), v => v > 0 ? v : 0.2 * v),
        "sigmoid" => (t => t.Sigmoid(), F.Sigmoid, Sigmoid),
        "tanh" => (t => t.Tanh(), F.Tanh, Math.Tanh),
        "silu" => (t => t.Silu(), F.Silu, v => v * Sigmoid(v)),
        // Independent reference: MathNet's erf, not the engine's own special functions.
        "gelu" => (t => t.Gelu(), F.Gelu, v => 0.5 * v * (1 + SpecialFunctions.Erf(v / Math.Sqrt(2)))),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void ForwardMatchesNaiveLoopAsMethodAndFunctional(string name)
    {
        var (method, functional, f) = Activation(name);
        foreach (var (layout, x) in Float32Inputs(20, -6, 6))
        {
            var v = x.ToFloat64Array();
            var expected = v.Select(f).ToArray();
            Reference.Close(expected, method(x).ToFloat64Array(), 1e-6, 2e-6, $"{name} ({layout})");
            Assert.Equal(method(x).ToFloat32Array(), functional(x).ToFloat32Array());
        }
        var xd = Tensor.FromArray(Reference.RandomArray(50, 21, -30, 30), 5, 10).Transpose(0, 1);
        Reference.Close(xd.ToFloat64Array().Select(f).ToArray(), method(xd).ToFloat64Array(), 1e-14, 1e-13, $"{name} (float64)");
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void GradientsMatchFiniteDifferences(string name)
    {
        var (method, functional, _) = Activation(name);
        GradCheck.Check(t => method(t[0]), [LeafAwayFrom(22, -4, 4, [0], 3, 5)]);
        GradCheck.Check(t => functional(t[0].Permute(1, 0)), [StridedLeaf(23, 0.1, 3, 3, 4)]);
    }

    [Fact]
    public void KinksTakePyTorchsSlope()
    {
        var x = Tensor.FromArray(new double[] { -1, 0, 2 }, 3);
        x.RequiresGrad = true;
        x.Relu().Sum().Backward();
        Assert.Equal(new double[] { 0, 0, 1 }, x.Grad!.ToFloat64Array());
        x.ZeroGrad();
        x.LeakyRelu(0.1).Sum().Backward();
        Assert.Equal(new double[] { 0.1, 0.1, 1 }, x.Grad!.ToFloat64Array());
    }

    [Fact]
    public void SaturatedInputsGiveFiniteValuesAndGradients()
    {
        var x = Tensor.FromArray(new double[] { -1000, -40, 40, 1000 }, 4);
        x.RequiresGrad = true;
        var s = x.Sigmoid();
        Assert.Equal(new double[] { 0, Sigmoid(-40), 1, 1 }, s.ToFloat64Array());
        (s.Sum() + x.Tanh().Sum() + x.Silu().Sum()).Backward();
        Assert.All(x.Grad!.ToFloat64Array(), g => Assert.True(double.IsFinite(g)));
        var f = Tensor.FromArray(new[] { -1000f, -80f, 88f, 1000f, float.NaN }, 5);
        var silu = f.Silu().ToFloat32Array();
        Assert.Equal(new[] { -0f, 88f, 1000f }, new[] { silu[0], silu[2], silu[3] });
        Reference.Close([-80 * Sigmoid(-80)], [(double)silu[1]], 0, 4e-7);
        Assert.True(float.IsNaN(silu[4]));
        Assert.Equal(new[] { -1f, -1f, 1f, 1f }, f.Tanh().ToFloat32Array()[..4]);
        var gelu = Tensor.FromArray(new[] { -1000f, 1000f, float.PositiveInfinity, float.NaN }, 4).Gelu().ToFloat32Array();
        Assert.Equal(new[] { -0f, 1000f, float.PositiveInfinity }, gelu[..3]);
        Assert.True(float.IsNaN(gelu[3]));
    }
}

using RawDiffusion.Tests.Testing;
using RawDiffusion.Training;

namespace RawDiffusion.Tests.Training;

public class GradientClippingTests
{
    static Tensor[] ParametersWithGradients(DType dtype, params int[][] shapes)
    {
        return shapes.Select((shape, i) =>
        {
            var values = Reference.RandomArray((int)ShapeMath.Numel(shape), 40 + i, -3, 3);
            var p = Tensor.Zeros(shape, dtype);
            p.RequiresGrad = true;
            p.Grad = dtype == DType.Float64 ? Tensor.FromArray(values, shape) : Tensor.FromArray(Array.ConvertAll(values, v => (float)v), shape);
            return p;
        }).ToArray();
    }

    static double HostNorm(IEnumerable<double[]> grads, double p) =>
        double.IsPositiveInfinity(p) ? grads.SelectMany(g => g).Max(Math.Abs) : Math.Pow(grads.SelectMany(g => g).Sum(v => Math.Pow(Math.Abs(v), p)), 1 / p);

    [Theory]
    [InlineData(2.0)]
    [InlineData(1.0)]
    [InlineData(3.0)]
    [InlineData(double.PositiveInfinity)]
    public void LargeNormsAreScaledToMaxNormAndTheTotalIsReturned(double normType)
    {
        var ps = ParametersWithGradients(DType.Float64, [3, 4], [5], [1]);
        var before = ps.Select(p => p.Grad!.ToFloat64Array()).ToArray();
        double expected = HostNorm(before, normType);
        double total = GradientClipping.ClipGradNorm(ps, 1.5, normType);
        Assert.Equal(expected, total, 1e-12);
        double coefficient = 1.5 / (expected + 1e-6);
        for (int i = 0; i < ps.Length; i++)
            Reference.Close(before[i].Select(v => v * coefficient).ToArray(), ps[i].Grad!.ToFloat64Array(), 1e-14, 1e-13);
        Assert.InRange(HostNorm(ps.Select(p => p.Grad!.ToFloat64Array()), normType), 1.5 - 1e-5, 1.5);
    }

    [Fact]
    public void SmallNormsAreLeftUntouchedAndMissingGradientsSkipped()
    {
        var ps = ParametersWithGradients(DType.Float32, [300, 200], [7]).Append(Tensor.Zeros([3])).ToArray();
        var before = ps.Take(2).Select(p => p.Grad!.ToFloat32Array()).ToArray();
        double expected = HostNorm(before.Select(g => Array.ConvertAll(g, v => (double)v)), 2);
        double total = GradientClipping.ClipGradNorm(ps, 1e6);
        Assert.Equal(expected, total, expected * 1e-5);
        Assert.Equal(before, ps.Take(2).Select(p => p.Grad!.ToFloat32Array()).ToArray());
        Assert.Equal(0, GradientClipping.ClipGradNorm([Tensor.Zeros([2])], 1));
    }

    [Fact]
    public void StridedGradientsAreClippedInPlace()
    {
        var p = Tensor.Zeros([3, 2], DType.Float64);
        p.Grad = Tensor.FromArray(new double[] { 3, 0, 0, 4, 0, 0 }, 2, 3).Transpose(0, 1);
        Assert.Equal(5, GradientClipping.ClipGradNorm([p], 1), 12);
        Reference.Close([0.6, 0, 0, 0.8, 0, 0], p.Grad.Contiguous().Transpose(0, 1).Contiguous().ToFloat64Array(), 1e-6);
    }

    [Fact]
    public void NonFiniteGradientsGiveANonFiniteNormAndBadArgumentsAreRejected()
    {
        var p = Tensor.Zeros([2], DType.Float64);
        p.Grad = Tensor.FromArray(new[] { double.NaN, 1 }, 2);
        Assert.True(double.IsNaN(GradientClipping.ClipGradNorm([p], 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipGradNorm([p], -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipGradNorm([p], 1, 0));
    }
}

using RawDiffusion.Models;
using RawDiffusion.Nn;
using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.Models;

/// <summary>Shapes and float64 finite-difference gradients (inputs and parameters) of each building block.</summary>
public class BlockTests
{
    static Tensor[] WithParameters(Module m, params Tensor[] inputs) => [.. inputs, .. m.Parameters()];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ResBlockGradientsMatchFiniteDifferences(bool scaleShift)
    {
        using var _ = DefaultDType.Use(DType.Float64);
        var block = new ResBlock(2, 2, 4, embeddingDim: 3, scaleShift: scaleShift, generator: new Generator(1));
        var x = Reference.Leaf(1, 2, 2, 3, 3);
        var emb = Reference.Leaf(2, 2, 3);
        Assert.Equal([2, 4, 3, 3], block.Forward(x, emb).ShapeArray);
        GradCheck.Check(t => block.Forward(t[0], t[1]), WithParameters(block, x, emb), atol: 1e-6, rtol: 1e-4);
    }

    [Fact]
    public void OneDimensionalResBlockKeepsLengthAndSkipsWithoutEmbedding()
    {
        using var _ = DefaultDType.Use(DType.Float64);
        var block = new ResBlock(1, 2, 2, generator: new Generator(2));
        var x = Reference.Leaf(3, 2, 2, 5);
        Assert.Equal([2, 2, 5], block.Forward(x).ShapeArray);
        Assert.Null(block.Skip);
        GradCheck.Check(t => block.Forward(t[0]), WithParameters(block, x), atol: 1e-6, rtol: 1e-4);
    }

    [Fact]
    public void AttentionBlockGradientsMatchFiniteDifferences()
    {
        using var _ = DefaultDType.Use(DType.Float64);
        var block = new AttentionBlock(4, heads: 2, generator: new Generator(3));
        var x = Reference.Leaf(4, 2, 4, 2, 3);
        Assert.Equal([2, 4, 2, 3], block.Forward(x).ShapeArray);
        GradCheck.Check(t => block.Forward(t[0]), WithParameters(block, x), atol: 1e-6, rtol: 1e-4);
    }

    [Fact]
    public void DownsampleHalvesAndUpsampleDoubles()
    {
        using var _ = DefaultDType.Use(DType.Float64);
        var down = new Downsample(2, 3, new Generator(4));
        var up = new Upsample(2, 3, new Generator(5));
        var x = Reference.Leaf(5, 1, 3, 4, 4);
        Assert.Equal([1, 3, 2, 2], down.Forward(x).ShapeArray);
        Assert.Equal([1, 3, 8, 8], up.Forward(x).ShapeArray);
        GradCheck.Check(t => up.Forward(down.Forward(t[0])), WithParameters(down, x), atol: 1e-6, rtol: 1e-4);
        var x1 = Reference.Leaf(6, 1, 3, 6);
        Assert.Equal([1, 3, 3], new Downsample(1, 3).Forward(x1).ShapeArray);
        Assert.Equal([1, 3, 12], new Upsample(1, 3).Forward(x1).ShapeArray);
    }

    [Fact]
    public void SinusoidalEmbeddingMatchesTheFormula()
    {
        var e = TimestepEmbedding.Sinusoidal(Tensor.FromArray(new float[] { 0, 7 }, 2), 6).ToFloat64Array();
        for (int i = 0; i < 3; i++)
        {
            double f = Math.Exp(-Math.Log(10000) * i / 3);
            Assert.Equal(1, e[i], 6);
            Assert.Equal(0, e[3 + i], 6);
            Assert.Equal(Math.Cos(7 * f), e[6 + i], 5);
            Assert.Equal(Math.Sin(7 * f), e[9 + i], 5);
        }
    }

    [Fact]
    public void SetTransformerBlocksHaveTheirShapesAndGradients()
    {
        using var _ = DefaultDType.Use(DType.Float64);
        var x = Reference.Leaf(7, 2, 5, 4);
        var mab = new Mab(4, 4, 6, 2, generator: new Generator(6));
        var q = Reference.Leaf(8, 2, 3, 4);
        Assert.Equal([2, 3, 6], mab.Forward(q, x).ShapeArray);
        GradCheck.Check(t => mab.Forward(t[0], t[1]), WithParameters(mab, q, x), atol: 1e-6, rtol: 1e-4);
        var isab = new Isab(4, 6, 2, 3, generator: new Generator(7));
        Assert.Equal([2, 5, 6], isab.Forward(x).ShapeArray);
        GradCheck.Check(t => isab.Forward(t[0]), WithParameters(isab, x), atol: 1e-6, rtol: 1e-4);
        var pma = new Pma(4, 2, 1, generator: new Generator(8));
        Assert.Equal([2, 1, 4], pma.Forward(x).ShapeArray);
        GradCheck.Check(t => pma.Forward(t[0]), WithParameters(pma, x), atol: 1e-6, rtol: 1e-4);
        var sab = new Sab(4, 4, 2, generator: new Generator(9));
        Assert.Equal([2, 5, 4], sab.Forward(x).ShapeArray);
    }

    [Fact]
    public void SetBlocksAreInvariantOrEquivariantToTheOrderOfTheSet()
    {
        var x = Reference.Float(10, 1, 6, 4);
        var reversed = Tensor.Concat(Enumerable.Range(0, 6).Reverse().Select(i => x.Slice(1, i, 1)).ToArray(), 1);
        var pma = new Pma(4, 2, 1, generator: new Generator(10));
        Reference.Close(pma.Forward(x).ToFloat32Array(), pma.Forward(reversed).ToFloat32Array(), 1e-5);
        var sab = new Sab(4, 4, 2, generator: new Generator(11));
        var a = sab.Forward(x).ToFloat32Array();
        var b = sab.Forward(reversed).ToFloat32Array();
        for (int i = 0; i < 6; i++)
            Reference.Close(a.AsSpan(i * 4, 4), b.AsSpan((5 - i) * 4, 4), 1e-5);
    }
}

using RawDiffusion.Models;
using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.Models;

/// <summary>The 1-D convolutional UNet (<see cref="UNetConfig.Dims"/> = 1): shapes, finite-difference gradients, and
/// equivalence with the 2-D UNet on inputs that are constant along the height.</summary>
public class UNet1dTests
{
    static UNetConfig Config(int dims) => new()
    {
        Dims = dims, ImageSize = 4, LatentChannels = 2, ConditionMapChannels = 1, OutChannels = 2, ModelChannels = 4, ChannelMultipliers = [1, 2],
        ResBlocksPerLevel = 1, AttentionResolutions = [2], Heads = 2, ClassCount = 3, ConditionVectorLength = 5,
    };

    static void Perturb(UNet unet, ulong seed)
    {
        // Zero-initialised output layers predict 0 at start; perturb every parameter so every path carries signal.
        using (GradMode.NoGrad())
            foreach (var p in unet.Parameters()) p.AddInPlace(Tensor.Randn(p.Shape, new Generator(seed), 0, 0.2, p.DType));
    }

    [Fact]
    public void ShapesAndGradientsMatchFiniteDifferences()
    {
        using var _ = DefaultDType.Use(DType.Float64);
        var unet = new UNet(Config(1), new Generator(2));
        Perturb(unet, 3);
        var x = Reference.Leaf(4, 2, 2, 4);
        var t = Tensor.FromArray(new double[] { 3, 150 }, 2);
        var map = Reference.Leaf(5, 2, 1, 4);
        var vector = Reference.Leaf(6, 2, 5);
        var classes = Tensor.FromArray(new[] { 0, 2 }, 2);
        var y = unet.Forward(x, t, new UNetCondition(map, classes, vector));
        Assert.Equal([2, 2, 4], y.ShapeArray);
        Assert.NotEqual(y.ToFloat64Array(), unet.Forward(x, t, null).ToFloat64Array());
        // Every convolution is one-dimensional: kernels [out, in, 3] (or [out, in, 1] for the skips).
        Assert.All(unet.NamedParameters().Where(p => p.Key.EndsWith("weight") && p.Value.Rank >= 3), p => Assert.Equal(3, p.Value.Rank));
        var someParams = unet.NamedParameters()
            .Where(p => p.Key.StartsWith("input_blocks.0") || p.Key.StartsWith("label_emb") || p.Key.Contains("attn.q") || p.Key.Contains(".down.") || p.Key.Contains(".up.") || p.Key.StartsWith("out.2"))
            .Select(p => p.Value);
        GradCheck.Check(s => unet.Forward(s[0], t, new UNetCondition(s[1], classes, s[2])), [x, map, vector, .. someParams], atol: 1e-6, rtol: 1e-4);
    }

    [Fact]
    public void EqualsTheTwoDimensionalUNetOnInputsConstantAlongTheHeight()
    {
        // A 2-D UNet whose 3x3 kernels are zero but for the middle row convolves along the width only; on an input
        // that is the same in every row, GroupNorm sees each value S times, attention sees each key S times (which
        // leaves its softmax weights unchanged), and down/upsampling keep the rows equal: every row of its output is
        // the 1-D UNet's output with the same kernels.
        using var _ = DefaultDType.Use(DType.Float64);
        var one = new UNet(Config(1), new Generator(7));
        Perturb(one, 8);
        var two = new UNet(Config(2), new Generator(9));
        var oneParams = one.StateDict();
        using (GradMode.NoGrad())
            foreach (var (name, target) in two.StateDict())
            {
                var source = oneParams[name];
                if (target.Rank == 4 && target.Shape[2] == 3)
                {
                    target.Fill(0);
                    target.Slice(2, 1, 1).CopyFrom(source.Reshape(source.Shape[0], source.Shape[1], 1, 3));
                }
                else target.CopyFrom(source.Reshape(target.ShapeArray));
            }
        int s = 4;
        Tensor Values(int seed, params int[] shape) => Tensor.FromArray(Reference.RandomArray((int)ShapeMath.Numel(shape), seed), shape);
        var x = Values(10, 2, 2, s);
        var map = Values(11, 2, 1, s);
        var vector = Values(12, 2, 5);
        var classes = Tensor.FromArray(new[] { 1, 3 }, 2);
        var t = Tensor.FromArray(new double[] { 7, 400 }, 2);
        Tensor Rows(Tensor v) => v.Unsqueeze(2).Expand([v.Shape[0], v.Shape[1], s, s]).Contiguous();
        var expected = one.Forward(x, t, new UNetCondition(map, classes, vector));
        var actual = two.Forward(Rows(x), t, new UNetCondition(Rows(map), classes, vector));
        Reference.Close(Rows(expected).ToFloat64Array(), actual.ToFloat64Array(), 1e-9, 1e-7);
    }

    [Fact]
    public void WrongInputRankIsRejectedNamingTheExpectedShape()
    {
        var unet = new UNet(Config(1) with { ConditionMapChannels = 0, ClassCount = 0, ConditionVectorLength = 0 }, new Generator(1));
        var e = Assert.Throws<ArgumentException>(() => unet.Forward(Reference.Float(1, 2, 2, 4, 4), Tensor.FromArray(new float[] { 1, 2 }, 2)));
        Assert.Contains("[B, 2, 4]", e.Message);
        Assert.Contains("1-D", e.Message);
    }

    [Fact]
    public void DimsIsValidatedAndTheModelConfigChecksTheOneDimensionalInput()
    {
        var e = Assert.Throws<ArgumentException>(() => (Config(1) with { Dims = 3 }).Validate());
        Assert.Contains("unet.dims", e.Message);
        // A 2x2x2 VAE latent (8 values) fits a 1-D UNet of 2 channels x 4 positions, not one of 2 x 8.
        var vae = new VaeConfig { VectorLength = 10, Dims = 2, MapSize = 4, BaseChannels = 4, ChannelMultipliers = [1, 2], ResBlocksPerLevel = 1, LatentChannels = 2 };
        var unet = Config(1) with { ConditionMapChannels = 0, ClassCount = 0, ConditionVectorLength = 0 };
        new ModelConfig { Vae = vae, UNet = unet }.Validate();
        var bad = Assert.Throws<ArgumentException>(() => new ModelConfig { Vae = vae, UNet = unet with { ImageSize = 8 } }.Validate());
        Assert.Contains("2x8", bad.Message);
    }
}

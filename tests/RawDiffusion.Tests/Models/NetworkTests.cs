using RawDiffusion.Models;
using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.Models;

public class NetworkTests
{
    static VaeConfig TinyVae(int dims = 2) => new()
    {
        VectorLength = 10, Dims = dims, MapSize = 4, BaseChannels = 4, ChannelMultipliers = [1, 2], ResBlocksPerLevel = 1,
        LatentChannels = 2, AttentionResolutions = [],
    };

    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    public void WeightVaeShapesAndGradients(int dims)
    {
        using var _ = DefaultDType.Use(DType.Float64);
        var vae = new WeightVae(TinyVae(dims), new Generator(1));
        vae.Eval();
        var x = Reference.Leaf(1, 3, 10);
        var output = vae.Forward(x);
        Assert.Equal([3, 10], output.Reconstruction.ShapeArray);
        Assert.Equal([3, .. vae.Config.LatentShape], output.Mean.ShapeArray);
        var (total, _, kl) = vae.Loss(x, output);
        Assert.True(kl.Item() >= 0);
        Assert.True(double.IsFinite(total.Item()));
        var checkedParams = vae.NamedParameters().Where(p => p.Key.StartsWith("encoder.conv_in") || p.Key.StartsWith("decoder.conv_out") || p.Key.StartsWith("fc_in.bias")).Select(p => p.Value);
        GradCheck.Check(t => vae.Forward(t[0]).Reconstruction, [x, .. checkedParams], atol: 1e-6, rtol: 1e-4);
    }

    [Fact]
    public void UNetShapesGradientsAndConditions()
    {
        using var _ = DefaultDType.Use(DType.Float64);
        var config = new UNetConfig
        {
            ImageSize = 4, LatentChannels = 1, ConditionMapChannels = 1, ModelChannels = 4, ChannelMultipliers = [1, 2],
            ResBlocksPerLevel = 1, AttentionResolutions = [2], Heads = 2, ClassCount = 3, ConditionVectorLength = 5,
        };
        var unet = new UNet(config, new Generator(2));
        // Zero-initialised outputs predict 0 at start; perturb every parameter so gradients flow everywhere.
        using (GradMode.NoGrad())
            foreach (var p in unet.Parameters()) p.AddInPlace(Tensor.Randn(p.Shape, new Generator(3), 0, 0.1, p.DType));
        var x = Reference.Leaf(4, 2, 1, 4, 4);
        var t = Tensor.FromArray(new double[] { 3, 150 }, 2);
        var map = Reference.Leaf(5, 2, 1, 4, 4);
        var vector = Reference.Leaf(6, 2, 5);
        var cond = new UNetCondition(map, Tensor.FromArray(new[] { 0, 2 }, 2), vector);
        var y = unet.Forward(x, t, cond);
        Assert.Equal([2, 1, 4, 4], y.ShapeArray);
        Assert.NotEqual(y.ToFloat64Array(), unet.Forward(x, t, null).ToFloat64Array());
        var someParams = unet.NamedParameters().Where(p => p.Key.StartsWith("input_blocks.0") || p.Key.StartsWith("label_emb") || p.Key.Contains("attn.q")).Select(p => p.Value);
        GradCheck.Check(s => unet.Forward(s[0], t, new UNetCondition(s[1], cond.ClassIndex, s[2])), [x, map, vector, .. someParams], atol: 1e-6, rtol: 1e-4);
    }

    [Fact]
    public void DatasetEncodersFollowClassOrderButNotExampleOrder()
    {
        var config = new DatasetEncoderConfig { FeatureLength = 6, Hidden = 4, Heads = 2, InducingPoints = 3, MaxClasses = 4, OutputLength = 8 };
        foreach (IDatasetEncoder encoder in new IDatasetEncoder[] { new SetTransformerEncoder(config, new Generator(1)), new MlpDatasetEncoder(config with { Kind = "mlp" }, new Generator(2)) })
        {
            var f = Reference.Float(7, 2, 3, 4, 6);
            var e = encoder.Forward(f);
            Assert.Equal([2, 8], e.ShapeArray);
            // Reversing the examples inside each class changes nothing; swapping two classes changes the embedding.
            var examplesReversed = Tensor.Concat(Enumerable.Range(0, 4).Reverse().Select(i => f.Slice(2, i, 1)).ToArray(), 2);
            Reference.Close(e.ToFloat32Array(), encoder.Forward(examplesReversed).ToFloat32Array(), 1e-4);
            var classesSwapped = Tensor.Concat([f.Slice(1, 1, 1), f.Slice(1, 0, 1), f.Slice(1, 2, 1)], 1);
            Assert.NotEqual(e.ToFloat32Array(), encoder.Forward(classesSwapped).ToFloat32Array());
            var err = Assert.Throws<ArgumentException>(() => encoder.Forward(Reference.Float(1, 1, 5, 2, 6)));
            Assert.Contains("maxClasses", err.Message);
        }
    }

    [Fact]
    public void SetTransformerEncoderGradientsMatchFiniteDifferences()
    {
        using var _ = DefaultDType.Use(DType.Float64);
        var config = new DatasetEncoderConfig { FeatureLength = 4, Hidden = 4, Heads = 2, InducingPoints = 2, MaxClasses = 3, OutputLength = 3 };
        var encoder = new SetTransformerEncoder(config, new Generator(3));
        // Two classes of three slots: the gradient also flows past the zero padding of the absent slot.
        var features = Reference.Leaf(4, 2, 2, 3, 4);
        var checkedParams = encoder.NamedParameters()
            .Where(p => p.Key is "class_slots" or "proj.weight" or "proj.bias" || p.Key.StartsWith("intra.pma.") || p.Key.StartsWith("inter.isab1.mab1."))
            .Select(p => p.Value);
        GradCheck.Check(t => encoder.Forward(t[0]), [features, .. checkedParams], atol: 1e-6, rtol: 1e-4);
    }

    [Fact]
    public void SetTransformerEncoderReadsOneBlockOfTheProjectionPerClassSlot()
    {
        var config = new DatasetEncoderConfig { FeatureLength = 6, Hidden = 4, Heads = 2, InducingPoints = 3, MaxClasses = 4, OutputLength = 5 };
        var encoder = new SetTransformerEncoder(config, new Generator(5));
        var f = Reference.Float(6, 2, 3, 4, 6);
        var swapped = Tensor.Concat([f.Slice(1, 1, 1), f.Slice(1, 0, 1), f.Slice(1, 2, 1)], 1);
        // Without slot embeddings the class stack is equivariant, so swapping classes 0 and 1 swaps their slot vectors:
        // the same as swapping the projection's column blocks of slots 0 and 1 (Hidden columns each).
        float[] expected;
        using (GradMode.NoGrad())
        {
            encoder.ClassSlots.Fill(0);
            expected = encoder.Forward(swapped).ToFloat32Array();
            var w = encoder.Projection.Weight;
            var slot0 = w.Slice(1, 0, 4).Clone();
            w.Slice(1, 0, 4).CopyFrom(w.Slice(1, 4, 4));
            w.Slice(1, 4, 4).CopyFrom(slot0);
        }
        Reference.Close(expected, encoder.Forward(f).ToFloat32Array(), 1e-5);
    }

    [Fact]
    public void StateDictRoundTripGivesIdenticalOutputs()
    {
        var config = new UNetConfig { ImageSize = 4, ModelChannels = 4, ChannelMultipliers = [1, 2], ResBlocksPerLevel = 1, AttentionResolutions = [2], Heads = 2 };
        var a = new UNet(config, new Generator(1));
        using (GradMode.NoGrad())
            foreach (var p in a.Parameters()) p.AddInPlace(Tensor.Randn(p.Shape, new Generator(2), 0, 0.1));
        var b = new UNet(config, new Generator(99));
        b.LoadStateDict(a.StateDict());
        var x = Reference.Float(3, 2, 1, 4, 4);
        var t = Tensor.FromArray(new float[] { 5, 9 }, 2);
        var cond = new UNetCondition(Reference.Float(4, 2, 1, 4, 4));
        Assert.Equal(a.Forward(x, t, cond).ToFloat32Array(), b.Forward(x, t, cond).ToFloat32Array());

        var vae = new WeightVae(TinyVae(), new Generator(5));
        vae.LatentScale.Fill(0.37);
        var vae2 = new WeightVae(TinyVae(), new Generator(6));
        vae2.LoadStateDict(vae.StateDict());
        Assert.Equal(0.37f, vae2.LatentScale.ToFloat32Array()[0]);
        vae.Eval(); vae2.Eval();
        var v = Reference.Float(7, 2, 10);
        Assert.Equal(vae.Forward(v).Reconstruction.ToFloat32Array(), vae2.Forward(v).Reconstruction.ToFloat32Array());
    }
}

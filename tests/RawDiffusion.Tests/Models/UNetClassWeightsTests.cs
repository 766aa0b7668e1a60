using RawDiffusion.Models;
using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.Models;

/// <summary>The UNet's class-weights condition (a mixture of learned class embeddings, used to interpolate between task
/// ids) against its class-index condition.</summary>
public sealed class UNetClassWeightsTests
{
    [Fact]
    public void ClassWeightsMixTheEmbeddingsTheIndexLooksUp()
    {
        using var _ = DefaultDType.Use(DType.Float64);
        var config = new UNetConfig
        {
            ImageSize = 4, LatentChannels = 2, ConditionMapChannels = 0, OutChannels = 2, ModelChannels = 4, ChannelMultipliers = [1, 2],
            ResBlocksPerLevel = 1, AttentionResolutions = [], Heads = 2, ClassCount = 3,
        };
        var unet = new UNet(config, new Generator(2));
        using (GradMode.NoGrad())
            foreach (var p in unet.Parameters()) p.AddInPlace(Tensor.Randn(p.Shape, new Generator(3), 0, 0.1, p.DType));
        var x = Reference.Leaf(4, 2, 2, 4, 4);
        var t = Tensor.FromArray(new double[] { 3, 150 }, 2);
        // One-hot weights give exactly what the index gives.
        var byIndex = unet.Forward(x, t, new UNetCondition(ClassIndex: Tensor.FromArray(new[] { 0, 2 }, 2))).ToFloat64Array();
        var oneHot = Tensor.FromArray(new double[] { 1, 0, 0, 0, 0, 0, 1, 0 }, 2, 4);
        Assert.Equal(byIndex, unet.Forward(x, t, new UNetCondition(ClassWeights: oneHot)).ToFloat64Array());
        // A half-half mix of classes 0 and 2 is the index path with that average written into the null class's row.
        var mix = Tensor.FromArray(new double[] { 0.5, 0, 0.5, 0, 0.5, 0, 0.5, 0 }, 2, 4);
        var mixed = unet.Forward(x, t, new UNetCondition(ClassWeights: mix)).ToFloat64Array();
        var rows = unet.ClassEmbedding!.Weight.ToFloat64Array();
        int dim = unet.ClassEmbedding.Dim;
        var edited = rows.ToArray();
        for (int i = 0; i < dim; i++) edited[3 * dim + i] = 0.5 * rows[i] + 0.5 * rows[2 * dim + i];
        using (GradMode.NoGrad()) unet.ClassEmbedding.Weight.CopyFrom(Tensor.FromArray(edited, 4, dim));
        Reference.Close(unet.Forward(x, t, new UNetCondition(ClassIndex: Tensor.FromArray(new[] { 3, 3 }, 2))).ToFloat64Array(), mixed, 1e-12);
        Assert.Contains("class weights must be [2, 4]", Assert.Throws<ArgumentException>(() => unet.Forward(x, t, new UNetCondition(ClassWeights: Tensor.FromArray(new double[6], 2, 3)))).Message);
        // Gradients reach the weights (finite differences).
        var w = Reference.Leaf(8, 2, 4);
        GradCheck.Check(s => unet.Forward(x, t, new UNetCondition(ClassWeights: s[0])), [w], atol: 1e-6, rtol: 1e-4);
    }
}

using RawDiffusion.Diffusion;
using RawDiffusion.Models;
using RawDiffusion.Training;
using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Tests.Diffusion;

public class EmaSamplingTests
{
    static UNet TinyUNet(ulong seed) => new(new UNetConfig
    {
        ImageSize = 4, LatentChannels = 1, ConditionMapChannels = 1, ModelChannels = 8, ChannelMultipliers = [1, 2],
        ResBlocksPerLevel = 1, AttentionResolutions = [2], Heads = 2,
    }, new Generator(seed));

    [Fact]
    public void SamplingUnderAverageWeightsUsesTheEmaParameters()
    {
        var unet = TinyUNet(1);
        var ema = new Ema(unet, decay: 0.9, useWarmup: false);
        var diffusion = new GaussianDiffusion(NoiseSchedule.Linear(20, 1e-3, 0.2));
        var optimizer = new AdamW(unet.Parameters(), 1e-2);
        var condition = new UNetCondition(Tensor.Randn([4, 1, 4, 4], new Generator(2)));
        for (int step = 0; step < 5; step++)
        {
            using var scope = DisposeScope.Enter();
            var loss = diffusion.TrainingLoss(unet.AsNoisePredictor(condition), Tensor.Randn([4, 1, 4, 4], new Generator((ulong)step)), new Generator(9));
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            ema.Update();
        }
        float[] Sample(UNet model) => diffusion.SampleDdim(model.AsNoisePredictor(condition), [4, 1, 4, 4], new Generator(5), steps: 5).ToFloat32Array();

        var raw = Sample(unet);
        float[] averaged;
        using (ema.AverageWeights()) averaged = Sample(unet);
        var copy = TinyUNet(77);
        ema.CopyTo(copy);
        Assert.Equal(Sample(copy), averaged);
        Assert.NotEqual(raw, averaged);
        Assert.Equal(raw, Sample(unet));
    }
}

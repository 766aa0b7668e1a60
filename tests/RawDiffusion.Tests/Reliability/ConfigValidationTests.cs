using RawDiffusion.Models;
using RawDiffusion.Pipeline;
using RawDiffusion.Tests.Pipeline;

namespace RawDiffusion.Tests.Reliability;

/// <summary>Configs that cannot work are refused before any training, naming the file and the field; the memory
/// estimate behind the size check counts the parameters the real networks have.</summary>
public class ConfigValidationTests
{
    const long SixteenGiB = 16L << 30;

    static string Replace(string json, string from, string to)
    {
        Assert.Contains(from, json);
        return json.Replace(from, to);
    }

    static FormatException Refused(string json, long available = SixteenGiB) =>
        Assert.Throws<FormatException>(() => ConfigValidation.Check(PipelineConfig.Parse(json, "tiny.json"), "tiny.json", available));

    [Fact]
    public void TheTinyConfigPasses() => ConfigValidation.Check(TinyPipeline.Config, "tiny.json", SixteenGiB);

    [Theory]
    [InlineData("d2nwg-small")]
    [InlineData("tiny")]
    public void ParameterCountsMatchTheBuiltNetworks(string preset)
    {
        var model = ModelConfig.Preset(preset);
        using (var vae = new WeightVae(model.Vae)) Assert.Equal(vae.ParameterCount, MemoryEstimate.Vae(model.Vae, 1, 0).Parameters);
        using (var unet = new UNet(model.UNet)) Assert.Equal(unet.ParameterCount, MemoryEstimate.UNet(model.UNet, 1).Parameters);
        using (var encoder = DatasetEncoders.Create(model.DatasetEncoder)) Assert.Equal(encoder.ParameterCount, MemoryEstimate.Encoder(model.DatasetEncoder, 1, 5, 5).Parameters);
    }

    [Fact]
    public void MlpEncoderParameterCountMatches()
    {
        var config = TinyPipeline.Config.Model.DatasetEncoder;
        using var encoder = DatasetEncoders.Create(config);
        Assert.Equal(encoder.ParameterCount, MemoryEstimate.Encoder(config, 1, 5, 3).Parameters);
    }

    [Fact]
    public void AUNetTooLargeForTheMachineIsRefusedNamingTheFieldAndTheEstimate()
    {
        var e = Refused(Replace(TinyPipeline.Json, "\"modelChannels\": 16", "\"modelChannels\": 2048"));
        Assert.StartsWith("tiny.json: model.unet.modelChannels", e.Message);
        Assert.Contains("the diffusion UNet", e.Message);
        Assert.Contains("GiB to train", e.Message);
        Assert.Contains("16.0 GiB of memory this machine has", e.Message);
    }

    [Fact]
    public void TheEstimateGrowsWithTheBatch()
    {
        var config = TinyPipeline.Config.Model.UNet;
        var one = MemoryEstimate.UNet(config, 1);
        var many = MemoryEstimate.UNet(config, 64);
        Assert.Equal(one.Parameters, many.Parameters);
        Assert.Equal(64 * one.ActivationElements, many.ActivationElements);
    }

    [Theory]
    [InlineData("\"modelChannels\": 16", "\"modelChannels\": 100000", "model.unet.modelChannels")]
    [InlineData("\"baseChannels\": 8", "\"baseChannels\": 100000", "model.vae.vectorLength, model.vae.mapSize, model.vae.baseChannels")]
    [InlineData("\"hidden\": [32, 16]", "\"hidden\": [2147483647, 16]", "backbone.hidden")]
    public void ANetworkBeyondTheTensorLimitIsRefused(string from, string to, string field)
    {
        var e = Refused(Replace(TinyPipeline.Json, from, to), long.MaxValue);
        Assert.Contains(field, e.Message);
        Assert.Contains("the CPU backend holds at most", e.Message);
    }

    [Fact]
    public void SizesThatOverflowAreRefused()
    {
        var e = Refused(Replace(TinyPipeline.Json, "\"modelChannels\": 16", "\"modelChannels\": 1000000000"), long.MaxValue);
        Assert.Contains("model.unet", e.Message);
    }

    /// <summary>Found by the fuzzer: 2^31 blocks per level made the estimate itself run for minutes.</summary>
    [Fact]
    public void BlockCountsAreBoundedBeforeTheEstimateWalksThem()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = Refused(Replace(TinyPipeline.Json, "\"resBlocksPerLevel\": 1, \"attentionResolutions\": [], \"heads\"", "\"resBlocksPerLevel\": 2147483647, \"attentionResolutions\": [], \"heads\""), long.MaxValue);
        Assert.Contains("model.unet.resBlocksPerLevel: 2147483647 is more than the 1000", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void AnUnknownArchitectureIsRefused()
    {
        var e = Refused(Replace(TinyPipeline.Json, "\"architecture\": \"linear-head\"", "\"architecture\": \"resnet-9000\""));
        Assert.Contains("zoo.architecture", e.Message);
        Assert.Contains("resnet-9000", e.Message);
    }

    [Fact]
    public void AVectorShorterThanTheArchitectureIsRefused()
    {
        var e = Refused(Replace(TinyPipeline.Json, "\"vectorLength\": 51", "\"vectorLength\": 40"));
        Assert.Contains("model.vae.vectorLength 40 is shorter than the 51 parameters", e.Message);
    }

    [Theory]
    [InlineData("\"seen\": 6", "\"seen\": 100000000", "tasks.seen")]
    [InlineData("\"classesPerTask\": 3", "\"classesPerTask\": 11", "tasks.classesPerTask 11")]
    [InlineData("\"domain\": \"fashion-mnist\"", "\"domain\": \"cifar-10\"", "tasks.domain")]
    [InlineData("\"crossDomain\": \"mnist-digits\"", "\"crossDomain\": \"svhn\"", "tasks.crossDomain")]
    public void TaskCountsTheDomainCannotGiveAreRefused(string from, string to, string field)
    {
        var e = Refused(Replace(TinyPipeline.Json, from, to));
        Assert.Contains(field, e.Message);
    }
}

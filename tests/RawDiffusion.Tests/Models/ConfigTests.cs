using RawDiffusion.Models;

namespace RawDiffusion.Tests.Models;

public class ConfigTests
{
    [Theory]
    [InlineData("d2nwg-base")]
    [InlineData("d2nwg-small")]
    [InlineData("tiny")]
    public void PresetsLoadAndAreConsistent(string name)
    {
        var config = ModelConfig.Preset(name);
        Assert.Equal(config.Vae.LatentSize, config.UNet.ImageSize * config.UNet.ImageSize * config.UNet.LatentChannels);
        var again = ModelConfig.Parse(config.ToJson());
        Assert.Equal(config.ToJson(), again.ToJson());
    }

    [Fact]
    public void TheBasePresetIsTheOfficialConfiguration()
    {
        var c = ModelConfig.Preset("d2nwg-base");
        Assert.Equal(128, c.Vae.BaseChannels);
        Assert.Equal([1, 1, 2], c.Vae.ChannelMultipliers);
        Assert.Equal([4, 16, 16], c.Vae.LatentShape);
        Assert.Equal(256, c.UNet.ModelChannels);
        Assert.Equal([1, 1, 1, 2], c.UNet.ChannelMultipliers);
        Assert.Equal(2, c.UNet.InChannels);
        Assert.Equal(1024, c.Diffusion.Steps);
        Assert.Equal(1024, c.DatasetEncoder.OutputLength);
        Assert.Equal(32, ModelConfig.Preset("d2nwg-small").Vae.BaseChannels);
        Assert.Equal(64, ModelConfig.Preset("d2nwg-small").UNet.ModelChannels);
    }

    [Fact]
    public void UnknownKeysAreRejectedWithTheirName()
    {
        var err = Assert.Throws<FormatException>(() => ModelConfig.Parse("{\"vae\": {\"baseChanels\": 32}}", "my.json"));
        Assert.Contains("my.json", err.Message);
        Assert.Contains("baseChanels", err.Message);
    }

    [Theory]
    [InlineData("{\"vae\": {\"mapSize\": 30}}", "mapSize")]
    [InlineData("{\"unet\": {\"heads\": 3}}", "heads")]
    [InlineData("{\"vae\": {\"reconstruction\": \"huber\"}}", "reconstruction")]
    [InlineData("{\"diffusion\": {\"schedule\": \"quadratic\"}}", "schedule")]
    [InlineData("{\"unet\": {\"imageSize\": 16}}", "reshaped")]
    public void ImpossibleShapesAreRejectedNamingTheField(string json, string field)
    {
        var err = Assert.Throws<FormatException>(() => ModelConfig.Parse(json, "c.json"));
        Assert.Contains(field, err.Message);
    }
}

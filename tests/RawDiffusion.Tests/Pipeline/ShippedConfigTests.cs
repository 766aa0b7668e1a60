using RawDiffusion.Data;
using RawDiffusion.Pipeline;

namespace RawDiffusion.Tests.Pipeline;

/// <summary>Every pipeline config shipped in configs/ (a file with a "backbone" section, in any subfolder) parses and
/// passes the checks `run` makes before any work starts, so a user copying one starts from a config that runs.</summary>
public sealed class ShippedConfigTests
{
    public static TheoryData<string> PipelineConfigs()
    {
        string root = Path.Combine(DataLocator.FindRepositoryRoot(AppContext.BaseDirectory)!, "configs");
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(root, "*.json", SearchOption.AllDirectories).Order())
            if (File.ReadAllText(file).Contains("\"backbone\"")) data.Add(Path.GetRelativePath(root, file));
        return data;
    }

    [Theory]
    [MemberData(nameof(PipelineConfigs))]
    public void ParsesAndPassesTheRunChecks(string file)
    {
        string path = Path.Combine(DataLocator.FindRepositoryRoot(AppContext.BaseDirectory)!, "configs", file);
        var config = PipelineConfig.Load(path);
        ConfigValidation.Check(config, path, 64L << 30);
        Assert.NotEmpty(PipelineRun.Stages(config));
    }
}

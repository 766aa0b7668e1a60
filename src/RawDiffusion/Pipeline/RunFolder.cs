namespace RawDiffusion.Pipeline;

/// <summary>Where each stage of a run keeps its files, all inside one folder (runs/demo by default).</summary>
public sealed class RunFolder(string root)
{
    public string Root { get; } = Path.GetFullPath(root);
    public string Config => Path.Combine(Root, "config.json");
    public string Backbone => Path.Combine(Root, "backbone.safetensors");
    public string Tasks => Path.Combine(Root, "tasks.json");
    public string Zoo => Path.Combine(Root, "zoo");
    public string Layout => Path.Combine(Root, "layout.json");
    public string Normalization => Path.Combine(Root, "normalization.safetensors");
    /// <summary>The vector layout of one architecture of a mixed-architecture zoo (each has its own).</summary>
    public string LayoutOf(string architecture) => Path.Combine(Root, $"layout.{architecture}.json");
    /// <summary>The normalisation statistics of one architecture of a mixed-architecture zoo.</summary>
    public string NormalizationOf(string architecture) => Path.Combine(Root, $"normalization.{architecture}.safetensors");
    public string Checkpoints => Path.Combine(Root, "checkpoints");
    public string Plots => Path.Combine(Root, "plots");
    public string Samples => Path.Combine(Root, "samples");

    /// <summary>The training checkpoint of a stage (model + optimizer + EMA + step), for --resume.</summary>
    public string StageCheckpoint(string stage) => Path.Combine(Checkpoints, stage + ".safetensors");

    /// <summary>The finished network of a stage, which later stages load.</summary>
    public string StageModel(string stage) => Path.Combine(Root, stage + ".safetensors");

    public string StageMetrics(string stage) => Path.Combine(Root, stage + ".csv");

    public string ReportMarkdown => Path.Combine(Root, "report.md");
    public string ReportJson => Path.Combine(Root, "report.json");

    /// <summary>An existing file a stage needs, or an error saying which command makes it.</summary>
    public string Require(string path, string madeBy)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is missing: run `{madeBy}` for the run folder {Root} first", path);
        return path;
    }
}

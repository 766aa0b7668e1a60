using System.Text.Json;
using System.Text.Json.Serialization;
using RawDiffusion.Diffusion;

namespace RawDiffusion.Models;

/// <summary>The "diffusion" section of a model config file.</summary>
public sealed record DiffusionConfig
{
    public int Steps { get; init; } = 1024;

    /// <summary>The most diffusion steps a schedule may have (D2NWG uses 1,000; the schedule's tables grow with it).</summary>
    public const int MaxSteps = 100_000;
    /// <summary>"linear" (latent-diffusion sqrt-linear) or "cosine".</summary>
    public string Schedule { get; init; } = "linear";
    public double LinearStart { get; init; } = 0.0015;
    public double LinearEnd { get; init; } = 0.0155;
    public double EmaDecay { get; init; } = 0.9999;

    public NoiseSchedule CreateSchedule() => NoiseSchedule.Create(
        Schedule switch
        {
            "linear" => BetaSchedule.Linear,
            "cosine" => BetaSchedule.Cosine,
            _ => throw new ArgumentException($"diffusion.schedule: must be \"linear\" or \"cosine\", got \"{Schedule}\""),
        }, Steps, LinearStart, LinearEnd);

    public void Validate(string source = "diffusion")
    {
        if (Steps < 1 || Steps > MaxSteps) throw new ArgumentException($"{source}.steps: must be between 1 and {MaxSteps}, got {Steps}");
        CreateSchedule();
        if (EmaDecay is < 0 or > 1) throw new ArgumentException($"{source}.emaDecay: must be in [0, 1], got {EmaDecay}");
    }
}

/// <summary>All networks of a D2NWG model in one plain JSON file a user can copy and edit (see configs/*.json).
/// Unknown keys and impossible shapes are rejected with the file and the field named.</summary>
public sealed record ModelConfig
{
    public VaeConfig Vae { get; init; } = new();
    [JsonPropertyName("unet")]
    public UNetConfig UNet { get; init; } = new();
    public DatasetEncoderConfig DatasetEncoder { get; init; } = new();
    public DiffusionConfig Diffusion { get; init; } = new();

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
    };

    /// <summary>The names of the presets shipped in configs/.</summary>
    public static readonly string[] Presets = ["d2nwg-base", "d2nwg-small", "tiny"];

    public static ModelConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"model config not found: {path}", path);
        return Parse(File.ReadAllText(path), Path.GetFileName(path));
    }

    /// <summary>A preset by name, from the configs/ folder next to the binaries or in the repository.</summary>
    public static ModelConfig Preset(string name)
    {
        if (!Presets.Contains(name))
            throw new ArgumentException($"unknown preset \"{name}\"; presets: {string.Join(", ", Presets)}", nameof(name));
        return FindConfigFile(name + ".json") is { } file ? Load(file)
            : throw new FileNotFoundException($"preset \"{name}\" not found: looked for {name}.json in a configs/ folder next to the program and in the repository");
    }

    /// <summary>A file in a configs/ folder next to the program, in the current folder, or in a folder above either
    /// (tests and tools run from bin/ deep inside the repository); null when there is none.</summary>
    internal static string? FindConfigFile(string fileName)
    {
        var candidates = new[] { Path.Combine(AppContext.BaseDirectory, "configs"), Path.Combine(Directory.GetCurrentDirectory(), "configs") }
            .Concat(Ancestors(AppContext.BaseDirectory).Concat(Ancestors(Directory.GetCurrentDirectory())).Select(d => Path.Combine(d, "configs")));
        return candidates.Select(dir => Path.Combine(dir, fileName)).FirstOrDefault(File.Exists);
    }

    static IEnumerable<string> Ancestors(string dir)
    {
        for (var d = new DirectoryInfo(dir); d != null; d = d.Parent) yield return d.FullName;
    }

    public static ModelConfig Parse(string json, string source = "config")
    {
        ModelConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<ModelConfig>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{source}: {e.Message}", e);
        }
        if (config == null) throw new FormatException($"{source}: the file holds null, not a config object");
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"{source}: {e.Message}", e);
        }
        return config;
    }

    public void Validate()
    {
        Vae.Validate();
        UNet.Validate();
        DatasetEncoder.Validate();
        Diffusion.Validate();
        // The latent is reshaped to the UNet's square input and the dataset embedding to its condition map.
        int unetInput = UNet.LatentChannels * UNet.SpatialSize;
        if (Vae.LatentSize != unetInput)
            throw new ArgumentException($"vae latent {string.Join("x", Vae.LatentShape)} = {Vae.LatentSize} values cannot be reshaped to the UNet input {string.Join("x", UNet.InputShape)} = {unetInput}");
        if (UNet.ConditionMapChannels > 0 && DatasetEncoder.OutputLength != UNet.ConditionMapChannels * UNet.SpatialSize)
            throw new ArgumentException($"datasetEncoder.outputLength {DatasetEncoder.OutputLength} must equal the UNet condition map {string.Join("x", [UNet.ConditionMapChannels, .. UNet.SpatialShape])}");
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}

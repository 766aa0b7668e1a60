namespace RawDiffusion.Models;

/// <summary>The "datasetEncoder" section of a model config file.</summary>
public sealed record DatasetEncoderConfig
{
    /// <summary>"set-transformer" (D2NWG's hierarchical encoder) or "mlp" (the cheaper baseline).</summary>
    public string Kind { get; init; } = "set-transformer";
    /// <summary>Length of each example's feature vector (512 for CLIP ViT-B/32; 784 for raw 28x28 pixels).</summary>
    public int FeatureLength { get; init; } = 512;
    public int Hidden { get; init; } = 128;
    public int Heads { get; init; } = 2;
    public int InducingPoints { get; init; } = 32;
    /// <summary>Most classes a task may have; each class slot gets a learned embedding so the encoding follows class order.</summary>
    public int MaxClasses { get; init; } = 10;
    /// <summary>Length of the dataset embedding (1024 in D2NWG, reshaped to 1 x 32 x 32 to condition the UNet).</summary>
    public int OutputLength { get; init; } = 1024;
    /// <summary>Temperature of the contrastive alignment with VAE latents.</summary>
    public double Temperature { get; init; } = 1;

    public void Validate(string source = "datasetEncoder")
    {
        void Fail(string field, string why) => throw new ArgumentException($"{source}.{field}: {why}");
        if (Kind is not ("set-transformer" or "mlp")) Fail("kind", $"must be \"set-transformer\" or \"mlp\", got \"{Kind}\"");
        if (FeatureLength <= 0) Fail("featureLength", $"must be positive, got {FeatureLength}");
        if (Hidden <= 0) Fail("hidden", $"must be positive, got {Hidden}");
        if (Heads <= 0 || Hidden % Heads != 0) Fail("heads", $"{Heads} heads must divide hidden width {Hidden}");
        if (FeatureLength % Heads != 0 && Kind == "set-transformer") Fail("heads", $"{Heads} heads must divide feature length {FeatureLength}");
        if (InducingPoints <= 0) Fail("inducingPoints", $"must be positive, got {InducingPoints}");
        if (MaxClasses <= 0) Fail("maxClasses", $"must be positive, got {MaxClasses}");
        if (OutputLength <= 0) Fail("outputLength", $"must be positive, got {OutputLength}");
        if (Temperature <= 0) Fail("temperature", $"must be positive, got {Temperature}");
    }
}

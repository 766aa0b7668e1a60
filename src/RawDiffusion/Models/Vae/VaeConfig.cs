namespace RawDiffusion.Models;

/// <summary>Shape and loss settings of a <see cref="WeightVae"/>; loaded from the "vae" section of a model config file.</summary>
public sealed record VaeConfig
{
    /// <summary>Length of the (zero-padded) weight vectors.</summary>
    public int VectorLength { get; init; } = 2864;
    /// <summary>2: the vector is mapped by a Linear layer to a 1 x MapSize x MapSize image (D2NWG); 1: the vector itself is
    /// the 1-channel signal of a Conv1d encoder (for long vectors, as p-diff).</summary>
    public int Dims { get; init; } = 2;
    /// <summary>Side of the square map (2-D) the vector is projected to.</summary>
    public int MapSize { get; init; } = 64;
    public int BaseChannels { get; init; } = 128;
    public int[] ChannelMultipliers { get; init; } = [1, 1, 2];
    public int ResBlocksPerLevel { get; init; } = 2;
    /// <summary>Spatial sizes (of the map inside the encoder) at which self-attention is added to the levels.</summary>
    public int[] AttentionResolutions { get; init; } = [];
    public int LatentChannels { get; init; } = 4;
    /// <summary>Weight of the KL term (1e-6 in D2NWG).</summary>
    public double Beta { get; init; } = 1e-6;
    /// <summary>"mse", "l1", or "predictor-guided": D2NWG Eq. 9, L1/σ² + log σ² with a learned σ² plus the squared
    /// distance between the accuracy predictor's embeddings of the original and the reconstruction (pipeline runs with
    /// a "predictor" section).</summary>
    public string Reconstruction { get; init; } = "mse";
    public const string PredictorGuided = "predictor-guided";
    /// <summary>Standard deviation of noise added to input vectors in training (p-diff uses 0.001; 0 disables).</summary>
    public double InputNoise { get; init; }
    /// <summary>Standard deviation of noise added to latents in training (p-diff uses 0.1; 0 disables).</summary>
    public double LatentNoise { get; init; }

    /// <summary>Downsampling steps between the input map and the latent.</summary>
    public int Downsamplings => ChannelMultipliers.Length - 1;

    /// <summary>Spatial extent of the map the encoder sees (2-D: MapSize; 1-D: the vector padded to a multiple of 2^Downsamplings).</summary>
    public int InputExtent => Dims == 2 ? MapSize : (VectorLength + (1 << Downsamplings) - 1) >> Downsamplings << Downsamplings;

    public int LatentExtent => InputExtent >> Downsamplings;

    /// <summary>Latent shape per sample: [z, h, w] (2-D) or [z, l] (1-D).</summary>
    public int[] LatentShape => Dims == 2 ? [LatentChannels, LatentExtent, LatentExtent] : [LatentChannels, LatentExtent];

    public int LatentSize => LatentShape.Aggregate(1, (a, b) => a * b);

    public void Validate(string source = "vae")
    {
        void Fail(string field, string why) => throw new ArgumentException($"{source}.{field}: {why}");
        if (VectorLength <= 0) Fail("vectorLength", $"must be positive, got {VectorLength}");
        if (Dims is not (1 or 2)) Fail("dims", $"must be 1 or 2, got {Dims}");
        if (BaseChannels <= 0) Fail("baseChannels", $"must be positive, got {BaseChannels}");
        if (ChannelMultipliers.Length == 0 || ChannelMultipliers.Any(m => m <= 0)) Fail("channelMultipliers", "needs at least one positive multiplier");
        if (ResBlocksPerLevel <= 0) Fail("resBlocksPerLevel", $"must be positive, got {ResBlocksPerLevel}");
        if (LatentChannels <= 0) Fail("latentChannels", $"must be positive, got {LatentChannels}");
        if (Beta < 0) Fail("beta", $"must be >= 0, got {Beta}");
        if (Reconstruction is not ("mse" or "l1" or PredictorGuided)) Fail("reconstruction", $"must be \"mse\", \"l1\" or \"{PredictorGuided}\", got \"{Reconstruction}\"");
        if (InputNoise < 0 || LatentNoise < 0) Fail("inputNoise", "noise levels must be >= 0");
        if (Dims == 2)
        {
            if (MapSize <= 0) Fail("mapSize", $"must be positive, got {MapSize}");
            if (MapSize % (1 << Downsamplings) != 0)
                Fail("mapSize", $"{MapSize} is not divisible by 2^{Downsamplings} (one halving per extra channel multiplier)");
        }
    }
}

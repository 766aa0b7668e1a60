namespace RawDiffusion.Models;

/// <summary>Shape of a <see cref="UNet"/>; the "unet" section of a model config file.</summary>
public sealed record UNetConfig
{
    /// <summary>2: convolutions over a square S x S input (the latent reshaped to 1 x S x S in D2NWG); 1: Conv1d over a
    /// signal of length S (the second seed's 1-D convolutional UNet, like the VAE's 1-D variant).</summary>
    public int Dims { get; init; } = 2;
    /// <summary>Side of the square input (2-D), or the length of the signal (1-D).</summary>
    public int ImageSize { get; init; } = 32;
    /// <summary>Channels of the noisy latent.</summary>
    public int LatentChannels { get; init; } = 1;
    /// <summary>Channels of a condition map concatenated to the input (D2NWG: 1); 0 for none.</summary>
    public int ConditionMapChannels { get; init; } = 1;
    public int OutChannels { get; init; } = 1;
    public int ModelChannels { get; init; } = 256;
    public int[] ChannelMultipliers { get; init; } = [1, 1, 1, 2];
    public int ResBlocksPerLevel { get; init; } = 2;
    /// <summary>Spatial sizes at which self-attention is used (D2NWG: 8 and 4 for a 32 x 32 input).</summary>
    public int[] AttentionResolutions { get; init; } = [8, 4];
    public int Heads { get; init; } = 2;
    public double Dropout { get; init; }
    /// <summary>Timestep (and condition) embedding as scale and shift of the second norm in each ResBlock.</summary>
    public bool ScaleShift { get; init; } = true;
    /// <summary>Number of classes for a class-index condition (chunk index, task id); 0 for none. One extra index is the null class.</summary>
    public int ClassCount { get; init; }
    /// <summary>Length of a vector condition (text or dataset embedding) added to the timestep embedding; 0 for none.</summary>
    public int ConditionVectorLength { get; init; }
    /// <summary>Probability of dropping the condition of a training sample (classifier-free guidance).</summary>
    public double ConditionDropout { get; init; }

    public int InChannels => LatentChannels + ConditionMapChannels;

    /// <summary>Spatial shape of the input: [S, S] (2-D) or [S] (1-D).</summary>
    public int[] SpatialShape => Dims == 2 ? [ImageSize, ImageSize] : [ImageSize];

    /// <summary>Shape of one noisy latent (after the batch dimension): [LatentChannels, ...SpatialShape].</summary>
    public int[] InputShape => [LatentChannels, .. SpatialShape];

    /// <summary>Values per spatial position-set of one channel: S^Dims.</summary>
    public int SpatialSize => Dims == 2 ? ImageSize * ImageSize : ImageSize;
    public int EmbeddingDim => 4 * ModelChannels;

    public void Validate(string source = "unet")
    {
        void Fail(string field, string why) => throw new ArgumentException($"{source}.{field}: {why}");
        if (Dims is not (1 or 2)) Fail("dims", $"must be 1 or 2, got {Dims}");
        if (ImageSize <= 0) Fail("imageSize", $"must be positive, got {ImageSize}");
        if (LatentChannels <= 0) Fail("latentChannels", $"must be positive, got {LatentChannels}");
        if (ConditionMapChannels < 0) Fail("conditionMapChannels", $"must be >= 0, got {ConditionMapChannels}");
        if (OutChannels <= 0) Fail("outChannels", $"must be positive, got {OutChannels}");
        if (ModelChannels <= 0) Fail("modelChannels", $"must be positive, got {ModelChannels}");
        if (ChannelMultipliers.Length == 0 || ChannelMultipliers.Any(m => m <= 0)) Fail("channelMultipliers", "needs at least one positive multiplier");
        if (ResBlocksPerLevel <= 0) Fail("resBlocksPerLevel", $"must be positive, got {ResBlocksPerLevel}");
        int halvings = ChannelMultipliers.Length - 1;
        if (ImageSize % (1 << halvings) != 0) Fail("imageSize", $"{ImageSize} is not divisible by 2^{halvings} (one halving per extra channel multiplier)");
        if (Heads <= 0) Fail("heads", $"must be positive, got {Heads}");
        foreach (var m in ChannelMultipliers)
            if (m * ModelChannels % Heads != 0) Fail("heads", $"{Heads} heads do not divide {m * ModelChannels} channels");
        if (Dropout is < 0 or >= 1) Fail("dropout", $"must be in [0, 1), got {Dropout}");
        if (ClassCount < 0) Fail("classCount", $"must be >= 0, got {ClassCount}");
        if (ConditionVectorLength < 0) Fail("conditionVectorLength", $"must be >= 0, got {ConditionVectorLength}");
        if (ConditionDropout is < 0 or >= 1) Fail("conditionDropout", $"must be in [0, 1), got {ConditionDropout}");
    }
}

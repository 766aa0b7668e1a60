namespace RawDiffusion.Zoo;

/// <summary>Which weights share a mean and standard deviation in <see cref="NormalizationStats"/>.</summary>
public enum NormalizationMode
{
    /// <summary>One mean/std per tensor, over all its values in all models (layer-wise chunks follow their tensor).</summary>
    PerLayer,

    /// <summary>One mean/std per vector position, over the models.</summary>
    PerParameter,
}

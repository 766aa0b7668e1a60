using RawDiffusion.Backends;
using RawDiffusion.Nn;

namespace RawDiffusion.Models;

/// <summary>The cheaper baseline encoder: the mean feature vector of each class, concatenated in class order (missing
/// classes are zeros), through a two-layer MLP.</summary>
public sealed class MlpDatasetEncoder : Module, IDatasetEncoder
{
    public MlpDatasetEncoder(DatasetEncoderConfig config, Generator? generator = null)
    {
        config.Validate();
        Config = config;
        Hidden = RegisterModule("fc1", new Linear(config.MaxClasses * config.FeatureLength, config.Hidden * 4, generator: generator));
        Output = RegisterModule("fc2", new Linear(config.Hidden * 4, config.OutputLength, generator: generator));
    }

    public DatasetEncoderConfig Config { get; }
    public Linear Hidden { get; }
    public Linear Output { get; }

    public Tensor Forward(Tensor features)
    {
        DatasetFeatures.Check(features, Config);
        int b = features.Shape[0], c = features.Shape[1], f = features.Shape[3];
        var means = features.Mean([2], keepDim: false);
        if (c < Config.MaxClasses) means = F.Pad(means, [0, 0, 0, Config.MaxClasses - c]);
        return Output.Forward(Hidden.Forward(means.Reshape(b, Config.MaxClasses * f), UnaryOp.Relu));
    }
}

internal static class DatasetFeatures
{
    public static void Check(Tensor features, DatasetEncoderConfig config)
    {
        if (features.Rank != 4 || features.Shape[3] != config.FeatureLength)
            throw new ArgumentException($"dataset features must be [tasks, classes, examples, {config.FeatureLength}], got {ShapeMath.Format(features.Shape)}", nameof(features));
        if (features.Shape[1] > config.MaxClasses)
            throw new ArgumentException($"a task has {features.Shape[1]} classes but the encoder supports at most {config.MaxClasses} (datasetEncoder.maxClasses)", nameof(features));
    }
}

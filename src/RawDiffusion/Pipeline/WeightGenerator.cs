using RawDiffusion.Diffusion;
using RawDiffusion.Models;
using RawDiffusion.Nn;
using RawDiffusion.Tasks;
using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>
/// Generates weights for a task from a handful of its examples: K examples per class (in the task's class order) ->
/// dataset encoder -> DDIM through the UNet with classifier-free guidance -> VAE decoder -> de-normalisation ->
/// named tensors of the zoo's architecture, ready to load or save as safetensors.
/// </summary>
public sealed class WeightGenerator : IDisposable
{
    readonly WeightVae vae;
    readonly Module encoderModule;
    readonly UNet unet;
    readonly GaussianDiffusion diffusion;

    public WeightGenerator(PipelineConfig config, RunFolder run)
    {
        Config = config;
        run.Require(Path.Combine(run.Zoo, ZooManifest.FileName), "zoo build");
        Architecture = ZooManifest.Load(run.Zoo).Architecture;
        Layout = WeightVectorizer.Load(run.Require(run.Layout, "train vae"));
        Stats = NormalizationStats.Load(run.Require(run.Normalization, "train vae"), Layout);
        vae = VaeStage.Load(config, run);
        encoderModule = EncoderStage.Load(config, run);
        unet = DiffusionStage.Load(config, run);
        diffusion = new GaussianDiffusion(config.Model.Diffusion.CreateSchedule());
    }

    public PipelineConfig Config { get; }
    public TargetArchitecture Architecture { get; }
    public WeightVectorizer Layout { get; }
    public NormalizationStats Stats { get; }
    public IDatasetEncoder Encoder => (IDatasetEncoder)encoderModule;

    /// <summary>The dataset embedding [E] of one support set drawn from the task's rows.</summary>
    public float[] Embed(FeatureSet taskRows, Generator generator)
    {
        if (taskRows.ClassCount != Architecture.Classes)
            throw new ArgumentException($"{taskRows.Source}: {taskRows.ClassCount} classes, but the zoo's architecture \"{Architecture.Name}\" has {Architecture.Classes} outputs");
        if (taskRows.FeatureLength != Config.Model.DatasetEncoder.FeatureLength)
            throw new ArgumentException($"{taskRows.Source}: rows of {taskRows.FeatureLength} features, the dataset encoder takes {Config.Model.DatasetEncoder.FeatureLength}");
        return EncoderStage.Embed(Encoder, taskRows, Config.Sampling.SupportPerClass, 1, generator);
    }

    /// <summary>Samples go through the UNet this many at a time, so memory stays bounded whatever the count.</summary>
    public const int BatchSize = 16;

    /// <summary><paramref name="samples"/> weight sets for the task whose dataset embedding is <paramref name="embedding"/>,
    /// made <see cref="BatchSize"/> at a time from <paramref name="generator"/>.</summary>
    public IReadOnlyList<Dictionary<string, float[]>> Generate(float[] embedding, int samples, Generator generator)
    {
        var all = new List<Dictionary<string, float[]>>(samples);
        for (int start = 0; start < samples; start += BatchSize) all.AddRange(GenerateBatch(embedding, Math.Min(BatchSize, samples - start), generator));
        return all;
    }

    /// <summary>One batch of at most <see cref="BatchSize"/> weight sets through the UNet together.</summary>
    public IReadOnlyList<Dictionary<string, float[]>> GenerateBatch(float[] embedding, int samples, Generator generator)
    {
        if (samples < 1 || samples > BatchSize) throw new ArgumentOutOfRangeException(nameof(samples), samples, $"a batch holds 1..{BatchSize} samples");
        using var _ = GradMode.NoGrad();
        using var scope = DisposeScope.Enter();
        var sampling = Config.Sampling;
        var condition = new float[samples * embedding.Length];
        for (int s = 0; s < samples; s++) embedding.CopyTo(condition.AsSpan(s * embedding.Length));
        var predictor = unet.AsNoisePredictor(new UNetCondition(Vector: Tensor.FromArray(condition, samples, embedding.Length)));
        var u = Config.Model.UNet;
        var latents = diffusion.SampleDdim(predictor, [samples, u.LatentChannels, u.ImageSize, u.ImageSize], generator, sampling.DdimSteps, sampling.Eta, sampling.Guidance);
        var vectors = vae.Decode((latents / vae.LatentScale).Reshape([samples, .. Config.Model.Vae.LatentShape])).ToArray<float>();
        Stats.Denormalize(vectors);
        return Enumerable.Range(0, samples).Select(s => Layout.Unflatten(vectors.AsSpan(s * Layout.VectorLength, Layout.VectorLength))).ToArray();
    }

    public void Dispose()
    {
        vae.Dispose();
        encoderModule.Dispose();
        unet.Dispose();
    }
}

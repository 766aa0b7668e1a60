using RawDiffusion.Diffusion;
using RawDiffusion.Models;
using RawDiffusion.Nn;
using RawDiffusion.Tasks;
using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>
/// Generates weights for a task from a handful of its examples: K examples per class (in the task's class order) ->
/// condition vectors (<see cref="SupportConditioner"/>: the dataset encoder's embedding, or one prototype condition per
/// class row) -> DDIM through the UNet with classifier-free guidance -> VAE decoder -> de-normalisation -> named
/// tensors of the zoo's architecture (class rows are assembled into the head), ready to load or save as safetensors.
/// Samples go through the networks in batches of at most <see cref="BatchVectors"/> vectors, so memory does not grow
/// with the number of samples.
/// </summary>
public sealed class WeightGenerator : IDisposable
{
    /// <summary>Most vectors sampled in one pass through the UNet and the decoder.</summary>
    public const int BatchVectors = 512;

    readonly WeightVae vae;
    readonly SupportConditioner conditioner;
    readonly UNet unet;
    readonly GaussianDiffusion diffusion;
    readonly bool classRows;

    public WeightGenerator(PipelineConfig config, RunFolder run)
    {
        Config = config;
        run.Require(Path.Combine(run.Zoo, ZooManifest.FileName), "zoo build");
        Architecture = ZooManifest.Load(run.Zoo).Architecture;
        Layout = WeightVectorizer.Load(run.Require(run.Layout, "train vae"));
        Stats = NormalizationStats.Load(run.Require(run.Normalization, "train vae"), Layout);
        classRows = config.Vectors.Layout == ClassRows.Layout;
        vae = VaeStage.Load(config, run);
        conditioner = SupportConditioner.Load(config, run);
        unet = DiffusionStage.Load(config, run);
        diffusion = new GaussianDiffusion(config.Model.Diffusion.CreateSchedule());
    }

    public PipelineConfig Config { get; }
    public TargetArchitecture Architecture { get; }
    public WeightVectorizer Layout { get; }
    public NormalizationStats Stats { get; }

    /// <summary><paramref name="samples"/> weight sets for the task whose support set is <paramref name="support"/>:
    /// backbone features, <paramref name="perClass"/> rows of each class, class by class (as <see cref="FeatureSet.SupportIndices"/> draws them).</summary>
    public IReadOnlyList<Dictionary<string, float[]>> Generate(FeatureSet support, int perClass, int samples, Generator generator,
                                                               CancellationToken cancel = default)
    {
        int classes = support.ClassCount, features = support.FeatureLength;
        if (classes != Architecture.Classes)
            throw new ArgumentException($"{support.Source}: {classes} classes, but the zoo's architecture \"{Architecture.Name}\" has {Architecture.Classes} outputs");
        if (features != Config.Model.DatasetEncoder.FeatureLength)
            throw new ArgumentException($"{support.Source}: rows of {features} features, the run's condition takes {Config.Model.DatasetEncoder.FeatureLength}");
        if (support.Count != classes * perClass || Enumerable.Range(0, support.Count).Any(i => support.Labels[i] != i / perClass))
            throw new ArgumentException($"{support.Source}: a support set must hold {perClass} rows of each of the {classes} classes, class by class");
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        int perSample = conditioner.VectorsPerSet(classes), e = conditioner.Length;
        var conditions = conditioner.Encode(support.Features, 1, classes, perClass, features);
        int samplesPerBatch = Math.Max(1, BatchVectors / perSample);
        var result = new List<Dictionary<string, float[]>>(samples);
        for (int first = 0; first < samples; first += samplesPerBatch)
        {
            cancel.ThrowIfCancellationRequested();
            int n = Math.Min(samplesPerBatch, samples - first), vectors = n * perSample;
            var condition = new float[vectors * e];
            for (int s = 0; s < n; s++) conditions.CopyTo(condition.AsSpan(s * perSample * e));
            var decoded = Sample(condition, vectors, generator);
            for (int s = 0; s < n; s++)
            {
                var parts = Enumerable.Range(0, perSample).Select(v => (IReadOnlyDictionary<string, float[]>)Layout.Unflatten(decoded.AsSpan((s * perSample + v) * Layout.VectorLength, Layout.VectorLength))).ToArray();
                result.Add(classRows ? ClassRows.Assemble(Architecture, parts) : new Dictionary<string, float[]>(parts[0]));
            }
        }
        return result;
    }

    /// <summary>De-normalised vectors [vectors, VectorLength] sampled under the condition vectors [vectors, E].</summary>
    float[] Sample(float[] condition, int vectors, Generator generator)
    {
        using var _ = GradMode.NoGrad();
        using var scope = DisposeScope.Enter();
        var sampling = Config.Sampling;
        var predictor = unet.AsNoisePredictor(new UNetCondition(Vector: Tensor.FromArray(condition, vectors, conditioner.Length)));
        var u = Config.Model.UNet;
        var latents = diffusion.SampleDdim(predictor, [vectors, .. u.InputShape], generator, sampling.DdimSteps, sampling.Eta, sampling.Guidance);
        var decoded = vae.Decode((latents / vae.LatentScale).Reshape([vectors, .. Config.Model.Vae.LatentShape])).ToArray<float>();
        Stats.Denormalize(decoded);
        return decoded;
    }

    public void Dispose()
    {
        vae.Dispose();
        conditioner.Dispose();
        unet.Dispose();
    }
}

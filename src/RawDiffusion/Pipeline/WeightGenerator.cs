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
/// with the number of samples. A run of a mixed-architecture zoo generates for the architecture it is asked for: its
/// one-hot index joins the condition, and the decoded vector is de-normalised and cut back to that architecture's tensors.
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
    readonly TargetArchitecture[] architectures;
    readonly WeightVectorizer[] layouts;
    readonly NormalizationStats[] stats;

    public WeightGenerator(PipelineConfig config, RunFolder run)
    {
        Config = config;
        bool mixed = ZooStage.IsMixed(config);
        architectures = ZooStage.ZooArchitectures(config, run).ToArray();
        layouts = architectures.Select(a => WeightVectorizer.Load(run.Require(mixed ? run.LayoutOf(a.Name) : run.Layout, "train vae"))).ToArray();
        stats = architectures.Select((a, i) => NormalizationStats.Load(run.Require(mixed ? run.NormalizationOf(a.Name) : run.Normalization, "train vae"), layouts[i])).ToArray();
        classRows = config.Vectors.Layout == ClassRows.Layout;
        vae = VaeStage.Load(config, run);
        conditioner = SupportConditioner.Load(config, run);
        unet = DiffusionStage.Load(config, run);
        diffusion = new GaussianDiffusion(config.Model.Diffusion.CreateSchedule());
    }

    public PipelineConfig Config { get; }

    /// <summary>The architectures it generates, in config order (one unless the zoo is mixed).</summary>
    public IReadOnlyList<TargetArchitecture> Architectures => architectures;

    /// <summary>The architecture of a run whose zoo has one.</summary>
    public TargetArchitecture Architecture => architectures[Single];

    public WeightVectorizer Layout => layouts[Single];
    public NormalizationStats Stats => stats[Single];

    int Single => architectures.Length == 1 ? 0
        : throw new InvalidOperationException($"the run's zoo holds the architectures {string.Join(", ", architectures.Select(a => a.Name))}; choose one");

    /// <summary>The architecture a command asked for (--architecture NAME), or the only one when it names none; an error
    /// when the zoo is mixed and no name was given.</summary>
    public int SelectArchitecture(string? name) => ZooStage.SelectArchitecture(architectures, name);

    /// <summary><paramref name="samples"/> weight sets for the task whose support set is <paramref name="support"/>:
    /// backbone features, <paramref name="perClass"/> rows of each class, class by class (as <see cref="FeatureSet.SupportIndices"/> draws them).</summary>
    /// <param name="architecture">Index into <see cref="Architectures"/>; may be left out when the zoo has one.</param>
    public IReadOnlyList<Dictionary<string, float[]>> Generate(FeatureSet support, int perClass, int samples, Generator generator,
                                                               CancellationToken cancel = default, int? architecture = null)
    {
        int a = architecture ?? Single;
        if (a < 0 || a >= architectures.Length) throw new ArgumentOutOfRangeException(nameof(architecture), a, $"the run has {architectures.Length} architectures");
        var target = architectures[a];
        var layout = layouts[a];
        int classes = support.ClassCount, features = support.FeatureLength;
        if (classes != target.Classes)
            throw new ArgumentException($"{support.Source}: {classes} classes, but the zoo's architecture \"{target.Name}\" has {target.Classes} outputs");
        if (features != Config.Model.DatasetEncoder.FeatureLength)
            throw new ArgumentException($"{support.Source}: rows of {features} features, the run's condition takes {Config.Model.DatasetEncoder.FeatureLength}");
        if (support.Count != classes * perClass || Enumerable.Range(0, support.Count).Any(i => support.Labels[i] != i / perClass))
            throw new ArgumentException($"{support.Source}: a support set must hold {perClass} rows of each of the {classes} classes, class by class");
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        int perSample = conditioner.VectorsPerSet(classes), count = Config.ArchitectureConditionLength;
        var conditions = ArchitectureCondition.Append(conditioner.Encode(support.Features, 1, classes, perClass, features), perSample, a, count);
        int e = conditioner.Length + count;
        int samplesPerBatch = Math.Max(1, BatchVectors / perSample);
        var result = new List<Dictionary<string, float[]>>(samples);
        for (int first = 0; first < samples; first += samplesPerBatch)
        {
            cancel.ThrowIfCancellationRequested();
            int n = Math.Min(samplesPerBatch, samples - first), vectors = n * perSample;
            var condition = new float[vectors * e];
            for (int s = 0; s < n; s++) conditions.CopyTo(condition.AsSpan(s * perSample * e));
            var decoded = Sample(condition, vectors, e, stats[a], generator);
            for (int s = 0; s < n; s++)
            {
                var parts = Enumerable.Range(0, perSample).Select(v => (IReadOnlyDictionary<string, float[]>)layout.Unflatten(decoded.AsSpan((s * perSample + v) * layout.VectorLength, layout.VectorLength))).ToArray();
                result.Add(classRows ? ClassRows.Assemble(target, parts) : new Dictionary<string, float[]>(parts[0]));
            }
        }
        return result;
    }

    /// <summary>De-normalised vectors [vectors, VectorLength] sampled under the condition vectors [vectors, E].</summary>
    float[] Sample(float[] condition, int vectors, int e, NormalizationStats statistics, Generator generator)
    {
        using var _ = GradMode.NoGrad();
        using var scope = DisposeScope.Enter();
        var sampling = Config.Sampling;
        var predictor = unet.AsNoisePredictor(new UNetCondition(Vector: Tensor.FromArray(condition, vectors, e)));
        var u = Config.Model.UNet;
        var latents = diffusion.SampleDdim(predictor, [vectors, .. u.InputShape], generator, sampling.DdimSteps, sampling.Eta, sampling.Guidance);
        var decoded = vae.Decode((latents / vae.LatentScale).Reshape([vectors, .. Config.Model.Vae.LatentShape])).ToArray<float>();
        statistics.Denormalize(decoded);
        return decoded;
    }

    public void Dispose()
    {
        vae.Dispose();
        conditioner.Dispose();
        unet.Dispose();
    }
}

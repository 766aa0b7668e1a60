using RawDiffusion.Diffusion;
using RawDiffusion.Models;
using RawDiffusion.Nn;
using RawDiffusion.Tasks;
using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>
/// Generates weights for a task: its condition (<see cref="TaskConditioner"/>: the dataset encoder's embedding of K
/// examples per class or one prototype condition per class row, the task's learned id embedding, its text vector) ->
/// DDIM (or ancestral DDPM) through the UNet with classifier-free guidance -> VAE decoder -> de-normalisation -> named tensors of the
/// zoo's architecture (class rows are assembled into the head), ready to load or save as safetensors. Samples go
/// through the networks in batches of at most <see cref="BatchVectors"/> vectors, so memory does not grow with the
/// number of samples.
/// A run of a mixed-architecture zoo generates for the architecture it is asked for: its one-hot index joins the
/// condition, and the decoded vector is de-normalised and cut back to that architecture's tensors.
/// </summary>
public sealed class WeightGenerator : IDisposable
{
    /// <summary>Most vectors sampled in one pass through the UNet and the decoder.</summary>
    public const int BatchVectors = 512;

    readonly WeightVae vae;
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
        // Every architecture's zoo is trained on the same tasks (ZooVectors checks), so the first one's manifest names them.
        var manifest = ZooManifest.Load(ZooStage.Folder(config, run, ZooStage.Architectures(config)[0]));
        classRows = config.Vectors.Layout == ClassRows.Layout;
        vae = VaeStage.Load(config, run);
        // Generation only reads the VAE; support guidance differentiates through its decoder, not into its weights.
        foreach (var p in vae.Parameters()) p.RequiresGrad = false;
        Conditioner = TaskConditioner.Load(config, run, manifest.TaskSpecs());
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

    int CheckArchitecture(int? architecture)
    {
        int a = architecture ?? Single;
        if (a < 0 || a >= architectures.Length) throw new ArgumentOutOfRangeException(nameof(architecture), a, $"the run has {architectures.Length} architectures");
        return a;
    }

    public TaskConditioner Conditioner { get; }

    /// <summary><paramref name="samples"/> weight sets for the task whose support set is <paramref name="support"/>:
    /// backbone features, <paramref name="perClass"/> rows of each class, class by class (as <see cref="FeatureSet.SupportIndices"/> draws them).</summary>
    /// <param name="architecture">Index into <see cref="Architectures"/>; may be left out when the zoo has one.</param>
    public IReadOnlyList<Dictionary<string, float[]>> Generate(FeatureSet support, int perClass, int samples, Generator generator,
                                                               CancellationToken cancel = default, int? architecture = null) =>
        Generate(new ConditionInput(Support: support, PerClass: perClass), samples, generator, cancel, architecture);

    /// <summary><paramref name="samples"/> weight sets for the task <paramref name="input"/> describes (each condition kind
    /// of the run takes the parts it needs).</summary>
    /// <param name="architecture">Index into <see cref="Architectures"/>; may be left out when the zoo has one.</param>
    public IReadOnlyList<Dictionary<string, float[]>> Generate(ConditionInput input, int samples, Generator generator, CancellationToken cancel = default, int? architecture = null)
    {
        var target = architectures[CheckArchitecture(architecture)];
        if (input.Support is { } support && support.FeatureLength != Config.Model.DatasetEncoder.FeatureLength)
            throw new ArgumentException($"{support.Source}: rows of {support.FeatureLength} features, the run's condition takes {Config.Model.DatasetEncoder.FeatureLength}");
        if (input.Support is { } s && s.ClassCount != target.Classes)
            throw new ArgumentException($"{s.Source}: {s.ClassCount} classes, but the zoo's architecture \"{target.Name}\" has {target.Classes} outputs");
        return Generate(Conditioner.For(input, target.Classes), samples, generator, cancel, architecture, input.Support);
    }

    /// <summary><paramref name="samples"/> weight sets at a point of condition space (a task's condition, or a mix of two).</summary>
    /// <param name="architecture">Index into <see cref="Architectures"/>; may be left out when the zoo has one.</param>
    /// <param name="support">The task's support examples, which steer sampling when the run's sampling.supportGuidance is on.</param>
    public IReadOnlyList<Dictionary<string, float[]>> Generate(ConditionPoint point, int samples, Generator generator, CancellationToken cancel = default, int? architecture = null,
                                                               FeatureSet? support = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        int a = CheckArchitecture(architecture);
        var target = architectures[a];
        var layout = layouts[a];
        int perSample = Conditioner.VectorsPerSet(target.Classes), count = Config.ArchitectureConditionLength;
        // The architecture's one-hot index follows the task's condition parts (as in training).
        var conditions = ArchitectureCondition.Append(point.Vector, perSample, a, count);
        int e = Conditioner.VectorLength + count;
        int samplesPerBatch = Math.Max(1, BatchVectors / perSample);
        var result = new List<Dictionary<string, float[]>>(samples);
        var steer = Config.Sampling.SupportGuidance > 0 && support != null
            ? new SupportGuidance(vae, Config.Model.Vae.LatentShape, stats[a], target, classRows, support, Config.Sampling.SupportGuidance, Config.Sampling.SupportGuidanceSteps)
            : null;
        for (int first = 0; first < samples; first += samplesPerBatch)
        {
            cancel.ThrowIfCancellationRequested();
            int n = Math.Min(samplesPerBatch, samples - first), vectors = n * perSample;
            var condition = new float[vectors * e];
            for (int s = 0; s < n; s++) conditions.CopyTo(condition.AsSpan(s * perSample * e));
            var decoded = Sample(condition, point.TaskWeights, n, perSample, stats[a], generator, steer);
            for (int s = 0; s < n; s++)
            {
                var parts = Enumerable.Range(0, perSample).Select(v => (IReadOnlyDictionary<string, float[]>)layout.Unflatten(decoded.AsSpan((s * perSample + v) * layout.VectorLength, layout.VectorLength))).ToArray();
                result.Add(classRows ? ClassRows.Assemble(target, parts) : new Dictionary<string, float[]>(parts[0]));
            }
        }
        return result;
    }

    /// <summary>De-normalised vectors [samples * perSample, VectorLength] sampled under the condition vectors
    /// [samples * perSample, E] and the task weights (the same for every vector; a one-hot one goes in as the task's index).</summary>
    float[] Sample(float[] condition, float[]? taskWeights, int samples, int perSample, NormalizationStats statistics, Generator generator, SupportGuidance? steer)
    {
        using var _ = GradMode.NoGrad();
        using var scope = DisposeScope.Enter();
        var sampling = Config.Sampling;
        int vectors = samples * perSample;
        Tensor? index = null, weights = null;
        if (taskWeights != null)
        {
            var point = new ConditionPoint([], taskWeights);
            if (point.TaskIndex is { } task) index = Tensor.FromSpan<int>(Enumerable.Repeat(task, vectors).ToArray(), [vectors], DType.Int32, null);
            else
            {
                var all = new float[vectors * taskWeights.Length];
                for (int v = 0; v < vectors; v++) taskWeights.CopyTo(all.AsSpan(v * taskWeights.Length));
                weights = Tensor.FromArray(all, vectors, taskWeights.Length);
            }
        }
        var u = Config.Model.UNet;
        var predictor = unet.AsNoisePredictor(UNetConditionInput.Of(u, condition, vectors, index, weights));
        int[] shape = [vectors, .. u.InputShape];
        var start = sampling.RowNoise == "shared" ? SharedNoise(samples, perSample, shape, generator) : null;
        var latents = sampling.Sampler == "ddpm"
            ? diffusion.SampleDdpm(predictor, shape, generator, sampling.Guidance, start: start, steer: steer?.Steer)
            : diffusion.SampleDdim(predictor, shape, generator, sampling.DdimSteps, sampling.Eta, sampling.Guidance, start: start, steer: steer?.Steer);
        var decoded = vae.Decode((latents / vae.LatentScale).Reshape([vectors, .. Config.Model.Vae.LatentShape])).ToArray<float>();
        statistics.Denormalize(decoded);
        return decoded;
    }

    /// <summary>x_T drawn once per sample and repeated for each of its <paramref name="perSample"/> rows.</summary>
    static Tensor SharedNoise(int samples, int perSample, int[] shape, Generator generator)
    {
        int size = shape[1..].Aggregate(1, (a, b) => a * b);
        var once = Tensor.Randn([samples, size], generator).ToArray<float>();
        var noise = new float[samples * perSample * size];
        for (int s = 0; s < samples; s++)
            for (int r = 0; r < perSample; r++) once.AsSpan(s * size, size).CopyTo(noise.AsSpan((s * perSample + r) * size));
        return Tensor.FromArray(noise, shape);
    }

    public void Dispose()
    {
        vae.Dispose();
        Conditioner.Dispose();
        unet.Dispose();
    }
}

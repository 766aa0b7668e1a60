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
/// </summary>
public sealed class WeightGenerator : IDisposable
{
    /// <summary>Most vectors sampled in one pass through the UNet and the decoder.</summary>
    public const int BatchVectors = 512;

    readonly WeightVae vae;
    readonly UNet unet;
    readonly GaussianDiffusion diffusion;
    readonly bool classRows;

    public WeightGenerator(PipelineConfig config, RunFolder run)
    {
        Config = config;
        run.Require(Path.Combine(run.Zoo, ZooManifest.FileName), "zoo build");
        var manifest = ZooManifest.Load(run.Zoo);
        Architecture = manifest.Architecture;
        Layout = WeightVectorizer.Load(run.Require(run.Layout, "train vae"));
        Stats = NormalizationStats.Load(run.Require(run.Normalization, "train vae"), Layout);
        classRows = config.Vectors.Layout == ClassRows.Layout;
        vae = VaeStage.Load(config, run);
        Conditioner = TaskConditioner.Load(config, run, manifest.TaskSpecs());
        unet = DiffusionStage.Load(config, run);
        diffusion = new GaussianDiffusion(config.Model.Diffusion.CreateSchedule());
    }

    public PipelineConfig Config { get; }
    public TargetArchitecture Architecture { get; }
    public WeightVectorizer Layout { get; }
    public NormalizationStats Stats { get; }
    public TaskConditioner Conditioner { get; }

    /// <summary><paramref name="samples"/> weight sets for the task whose support set is <paramref name="support"/>:
    /// backbone features, <paramref name="perClass"/> rows of each class, class by class (as <see cref="FeatureSet.SupportIndices"/> draws them).</summary>
    public IReadOnlyList<Dictionary<string, float[]>> Generate(FeatureSet support, int perClass, int samples, Generator generator,
                                                               CancellationToken cancel = default) =>
        Generate(new ConditionInput(Support: support, PerClass: perClass), samples, generator, cancel);

    /// <summary><paramref name="samples"/> weight sets for the task <paramref name="input"/> describes (each condition kind
    /// of the run takes the parts it needs).</summary>
    public IReadOnlyList<Dictionary<string, float[]>> Generate(ConditionInput input, int samples, Generator generator, CancellationToken cancel = default)
    {
        if (input.Support is { } support && support.FeatureLength != Config.Model.DatasetEncoder.FeatureLength)
            throw new ArgumentException($"{support.Source}: rows of {support.FeatureLength} features, the run's condition takes {Config.Model.DatasetEncoder.FeatureLength}");
        return Generate(Conditioner.For(input, Architecture.Classes), samples, generator, cancel);
    }

    /// <summary><paramref name="samples"/> weight sets at a point of condition space (a task's condition, or a mix of two).</summary>
    public IReadOnlyList<Dictionary<string, float[]>> Generate(ConditionPoint point, int samples, Generator generator, CancellationToken cancel = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        int perSample = Conditioner.VectorsPerSet(Architecture.Classes), e = Conditioner.VectorLength;
        int samplesPerBatch = Math.Max(1, BatchVectors / perSample);
        var result = new List<Dictionary<string, float[]>>(samples);
        for (int first = 0; first < samples; first += samplesPerBatch)
        {
            cancel.ThrowIfCancellationRequested();
            int n = Math.Min(samplesPerBatch, samples - first), vectors = n * perSample;
            var condition = new float[vectors * e];
            for (int s = 0; s < n; s++) point.Vector.CopyTo(condition.AsSpan(s * perSample * e));
            var decoded = Sample(condition, point.TaskWeights, n, perSample, generator);
            for (int s = 0; s < n; s++)
            {
                var parts = Enumerable.Range(0, perSample).Select(v => (IReadOnlyDictionary<string, float[]>)Layout.Unflatten(decoded.AsSpan((s * perSample + v) * Layout.VectorLength, Layout.VectorLength))).ToArray();
                result.Add(classRows ? ClassRows.Assemble(Architecture, parts) : new Dictionary<string, float[]>(parts[0]));
            }
        }
        return result;
    }

    /// <summary>De-normalised vectors [samples * perSample, VectorLength] sampled under the condition vectors
    /// [samples * perSample, E] and the task weights (the same for every vector; a one-hot one goes in as the task's index).</summary>
    float[] Sample(float[] condition, float[]? taskWeights, int samples, int perSample, Generator generator)
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
            ? diffusion.SampleDdpm(predictor, shape, generator, sampling.Guidance, start: start)
            : diffusion.SampleDdim(predictor, shape, generator, sampling.DdimSteps, sampling.Eta, sampling.Guidance, start: start);
        var decoded = vae.Decode((latents / vae.LatentScale).Reshape([vectors, .. Config.Model.Vae.LatentShape])).ToArray<float>();
        Stats.Denormalize(decoded);
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

using RawDiffusion.Tasks;
using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>
/// The zoo as the VAE sees it: every checkpoint flattened model-wise (state-dict order, zero-padded to the VAE's
/// vector length), or, with vectors.layout "class-rows", split into its centred class rows (<see cref="ClassRows"/>),
/// and z-scored with statistics fitted on the zoo. The layout and the statistics are saved beside
/// the models (layout.json, normalization.safetensors) on first use and read back after, so every later stage and
/// `sample` turn vectors back into the same named tensors.
/// </summary>
public sealed class ZooVectors
{
    ZooVectors(ZooManifest manifest, IReadOnlyList<IReadOnlyDictionary<string, float[]>> models, int[] modelTask, int rowsPerModel,
               WeightVectorizer layout, NormalizationStats stats, float[] raw, float[] normalized)
    {
        Manifest = manifest;
        Models = models;
        ModelTask = modelTask;
        RowsPerModel = rowsPerModel;
        Layout = layout;
        Stats = stats;
        Raw = raw;
        Normalized = normalized;
        TaskOf = Enumerable.Range(0, modelTask.Length * rowsPerModel).Select(v => modelTask[v / rowsPerModel]).ToArray();
        Tasks = manifest.TaskSpecs();
    }

    public ZooManifest Manifest { get; }
    /// <summary>Every checkpoint's named tensors, in manifest order.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, float[]>> Models { get; }
    /// <summary>Index into <see cref="Tasks"/> of each checkpoint.</summary>
    public int[] ModelTask { get; }
    /// <summary>Vectors per checkpoint: 1 model-wise, the class count for class rows (vector v is row v % RowsPerModel
    /// of checkpoint v / RowsPerModel).</summary>
    public int RowsPerModel { get; }
    public WeightVectorizer Layout { get; }
    public NormalizationStats Stats { get; }
    public IReadOnlyList<TaskSpec> Tasks { get; }
    /// <summary>[Count, Length] vectors before normalisation.</summary>
    public float[] Raw { get; }
    /// <summary>[Count, Length] z-scored vectors, the VAE's training data.</summary>
    public float[] Normalized { get; }
    /// <summary>Index into <see cref="Tasks"/> of each vector.</summary>
    public int[] TaskOf { get; }
    public int Count => TaskOf.Length;
    public int Length => Layout.VectorLength;

    /// <summary>The class (row of the head) vector v holds; 0 for model-wise vectors.</summary>
    public int ClassOf(int vector) => vector % RowsPerModel;

    /// <summary>Vectors of each task: [task][vector].</summary>
    public int[][] RowsByTask() => Enumerable.Range(0, Tasks.Count).Select(t => Enumerable.Range(0, Count).Where(r => TaskOf[r] == t).ToArray()).ToArray();

    /// <summary>Checkpoints of each task: [task][checkpoint index into <see cref="Models"/>].</summary>
    public int[][] ModelsByTask() => Enumerable.Range(0, Tasks.Count).Select(t => Enumerable.Range(0, Models.Count).Where(m => ModelTask[m] == t).ToArray()).ToArray();

    public static ZooVectors Load(PipelineConfig config, RunFolder run)
    {
        run.Require(Path.Combine(run.Zoo, ZooManifest.FileName), "zoo build");
        var manifest = ZooManifest.Load(run.Zoo);
        var architecture = manifest.Architecture;
        bool classRows = config.Vectors.Layout == ClassRows.Layout;
        var layout = classRows ? ClassRows.RowLayout(architecture, config.Model.Vae.VectorLength)
            : WeightVectorizer.ModelWise(architecture.Tensors, config.Model.Vae.VectorLength >= architecture.ParameterCount
                ? config.Model.Vae.VectorLength
                : throw new ArgumentException($"model.vae.vectorLength {config.Model.Vae.VectorLength} is shorter than the {architecture.ParameterCount} parameters of the zoo's architecture \"{architecture.Name}\""));
        var taskIndex = manifest.Tasks.Select((t, i) => (t.Id, i)).ToDictionary(p => p.Id, p => p.i);
        var models = new List<IReadOnlyDictionary<string, float[]>>();
        var modelTask = new List<int>();
        foreach (var entry in manifest.Checkpoints)
        {
            models.Add(ZooCheckpoint.Read(ZooManifest.PathOf(run.Zoo, entry), architecture).Tensors);
            modelTask.Add(taskIndex[entry.Task]);
        }
        int rowsPerModel = classRows ? architecture.Classes : 1;
        var raw = layout.FlattenMany(classRows ? models.SelectMany(m => ClassRows.Split(architecture, m)).ToArray() : models);
        NormalizationStats stats;
        if (File.Exists(run.Layout) && File.Exists(run.Normalization))
        {
            var saved = WeightVectorizer.Load(run.Layout);
            if (!saved.Equals(layout))
                throw new FormatException($"{run.Layout}: the saved vector layout differs from the zoo's architecture and model.vae.vectorLength; use a new run folder");
            stats = NormalizationStats.Load(run.Normalization, layout);
        }
        else
        {
            var mode = config.Vectors.Normalization == "per-layer" ? NormalizationMode.PerLayer : NormalizationMode.PerParameter;
            stats = NormalizationStats.Fit(layout, raw, mode);
            layout.Save(run.Layout);
            stats.Save(run.Normalization);
        }
        var normalized = raw.ToArray();
        stats.Normalize(normalized);
        return new ZooVectors(manifest, models, modelTask.ToArray(), rowsPerModel, layout, stats, raw, normalized);
    }
}

using RawDiffusion.Tasks;
using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>
/// The zoo as the VAE sees it: every checkpoint flattened model-wise (state-dict order, zero-padded to the VAE's
/// vector length) and z-scored with statistics fitted on the zoo. The layout and the statistics are saved beside
/// the models (layout.json, normalization.safetensors) on first use and read back after, so every later stage and
/// `sample` turn vectors back into the same named tensors.
/// </summary>
public sealed class ZooVectors
{
    ZooVectors(ZooManifest manifest, WeightVectorizer layout, NormalizationStats stats, float[] raw, float[] normalized, int[] taskOf)
    {
        Manifest = manifest;
        Layout = layout;
        Stats = stats;
        Raw = raw;
        Normalized = normalized;
        TaskOf = taskOf;
        Tasks = manifest.TaskSpecs();
    }

    public ZooManifest Manifest { get; }
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

    /// <summary>Rows of each task: [task][row].</summary>
    public int[][] RowsByTask() => Enumerable.Range(0, Tasks.Count).Select(t => Enumerable.Range(0, Count).Where(r => TaskOf[r] == t).ToArray()).ToArray();

    public static ZooVectors Load(PipelineConfig config, RunFolder run)
    {
        run.Require(Path.Combine(run.Zoo, ZooManifest.FileName), "zoo build");
        var manifest = ZooManifest.Load(run.Zoo);
        var layout = WeightVectorizer.ModelWise(manifest.Architecture.Tensors, config.Model.Vae.VectorLength >= manifest.Architecture.ParameterCount
            ? config.Model.Vae.VectorLength
            : throw new ArgumentException($"model.vae.vectorLength {config.Model.Vae.VectorLength} is shorter than the {manifest.Architecture.ParameterCount} parameters of the zoo's architecture \"{manifest.Architecture.Name}\""));
        var taskIndex = manifest.Tasks.Select((t, i) => (t.Id, i)).ToDictionary(p => p.Id, p => p.i);
        var models = new List<IReadOnlyDictionary<string, float[]>>();
        var taskOf = new List<int>();
        foreach (var entry in manifest.Checkpoints)
        {
            models.Add(ZooCheckpoint.Read(ZooManifest.PathOf(run.Zoo, entry), manifest.Architecture).Tensors);
            taskOf.Add(taskIndex[entry.Task]);
        }
        var raw = layout.FlattenMany(models);
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
        return new ZooVectors(manifest, layout, stats, raw, normalized, taskOf.ToArray());
    }
}

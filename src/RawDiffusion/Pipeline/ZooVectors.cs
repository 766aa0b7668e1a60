using RawDiffusion.Tasks;
using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>
/// The zoo as the VAE sees it: every checkpoint flattened model-wise (state-dict order, zero-padded to the VAE's
/// vector length), or, with vectors.layout "class-rows", split into its centred class rows (<see cref="ClassRows"/>),
/// and z-scored with statistics fitted on the zoo. The layout and the statistics are saved beside
/// the models (layout.json, normalization.safetensors) on first use and read back after, so every later stage and
/// `sample` turn vectors back into the same named tensors. A mixed-architecture zoo (zoo.architectures) holds the
/// checkpoints of every architecture, each flattened with its own layout and z-scored with its own statistics
/// (layout.&lt;name&gt;.json, normalization.&lt;name&gt;.safetensors), all padded to the same length: the longest
/// architecture's parameters fit the VAE's vector, the others end in zeros.
/// </summary>
public sealed class ZooVectors
{
    /// <summary>One architecture's zoo: its manifest, vector layout and normalisation statistics.</summary>
    public sealed record Part(ZooManifest Manifest, WeightVectorizer Layout, NormalizationStats Stats)
    {
        public TargetArchitecture Architecture => Manifest.Architecture;
    }

    readonly IReadOnlyList<Part> parts;

    ZooVectors(IReadOnlyList<Part> parts, IReadOnlyList<IReadOnlyDictionary<string, float[]>> models, int[] modelTask, int[] modelArchitecture,
               int rowsPerModel, float[] raw, float[] normalized)
    {
        this.parts = parts;
        Models = models;
        ModelTask = modelTask;
        ModelArchitecture = modelArchitecture;
        RowsPerModel = rowsPerModel;
        Raw = raw;
        Normalized = normalized;
        TaskOf = Enumerable.Range(0, modelTask.Length * rowsPerModel).Select(v => modelTask[v / rowsPerModel]).ToArray();
        Tasks = parts[0].Manifest.TaskSpecs();
    }

    /// <summary>The zoo of each architecture, in config order (one for a zoo of one architecture).</summary>
    public IReadOnlyList<Part> Parts => parts;
    public IReadOnlyList<TargetArchitecture> Architectures => parts.Select(p => p.Architecture).ToArray();
    public bool IsMixed => parts.Count > 1;

    public ZooManifest Manifest => Single.Manifest;
    public WeightVectorizer Layout => Single.Layout;
    public NormalizationStats Stats => Single.Stats;

    Part Single => parts.Count == 1 ? parts[0]
        : throw new InvalidOperationException($"the zoo holds {parts.Count} architectures ({string.Join(", ", Architectures.Select(a => a.Name))}); take one of Parts");

    /// <summary>Every checkpoint's named tensors, in manifest order (architecture by architecture).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, float[]>> Models { get; }
    /// <summary>Index into <see cref="Tasks"/> of each checkpoint.</summary>
    public int[] ModelTask { get; }
    /// <summary>Index into <see cref="Parts"/> of each checkpoint's architecture.</summary>
    public int[] ModelArchitecture { get; }
    /// <summary>Vectors per checkpoint: 1 model-wise, the class count for class rows (vector v is row v % RowsPerModel
    /// of checkpoint v / RowsPerModel).</summary>
    public int RowsPerModel { get; }
    public IReadOnlyList<TaskSpec> Tasks { get; }
    /// <summary>[Count, Length] vectors before normalisation.</summary>
    public float[] Raw { get; }
    /// <summary>[Count, Length] z-scored vectors, the VAE's training data.</summary>
    public float[] Normalized { get; }
    /// <summary>Index into <see cref="Tasks"/> of each vector.</summary>
    public int[] TaskOf { get; }
    public int Count => TaskOf.Length;
    public int Length => parts[0].Layout.VectorLength;

    /// <summary>The class (row of the head) vector v holds; 0 for model-wise vectors.</summary>
    public int ClassOf(int vector) => vector % RowsPerModel;

    /// <summary>Index into <see cref="Parts"/> of the architecture of vector v.</summary>
    public int ArchitectureOf(int vector) => ModelArchitecture[vector / RowsPerModel];

    /// <summary>Vectors of each task: [task][vector].</summary>
    public int[][] RowsByTask() => Enumerable.Range(0, Tasks.Count).Select(t => Enumerable.Range(0, Count).Where(r => TaskOf[r] == t).ToArray()).ToArray();

    /// <summary>Checkpoints of each task: [task][checkpoint index into <see cref="Models"/>].</summary>
    public int[][] ModelsByTask() => Enumerable.Range(0, Tasks.Count).Select(t => Enumerable.Range(0, Models.Count).Where(m => ModelTask[m] == t).ToArray()).ToArray();

    /// <summary>The zoo of architecture <paramref name="index"/> alone (its checkpoints and vectors; the same tasks).</summary>
    public ZooVectors OfArchitecture(int index)
    {
        if (!IsMixed && index == 0) return this;
        var models = Enumerable.Range(0, Models.Count).Where(m => ModelArchitecture[m] == index).ToArray();
        int length = Length * RowsPerModel;
        float[] Rows(float[] all) => models.SelectMany(m => all.AsSpan(m * length, length).ToArray()).ToArray();
        return new ZooVectors([parts[index]], models.Select(m => Models[m]).ToArray(), models.Select(m => ModelTask[m]).ToArray(), new int[models.Length],
                              RowsPerModel, Rows(Raw), Rows(Normalized));
    }

    public static ZooVectors Load(PipelineConfig config, RunFolder run)
    {
        bool classRows = config.Vectors.Layout == ClassRows.Layout, mixed = ZooStage.IsMixed(config);
        var parts = new List<Part>();
        var models = new List<IReadOnlyDictionary<string, float[]>>();
        var modelTask = new List<int>();
        var modelArchitecture = new List<int>();
        var raw = new List<float>();
        var normalized = new List<float>();
        int rowsPerModel = 1;
        foreach (var configured in ZooStage.Architectures(config))
        {
            string folder = ZooStage.Folder(config, run, configured);
            run.Require(Path.Combine(folder, ZooManifest.FileName), "zoo build");
            var manifest = ZooManifest.Load(folder);
            var architecture = manifest.Architecture;
            if (parts.Count > 0 && !manifest.Tasks.Select(t => t.Id).SequenceEqual(parts[0].Manifest.Tasks.Select(t => t.Id)))
                throw new FormatException($"{Path.Combine(folder, ZooManifest.FileName)}: the zoo of \"{architecture.Name}\" has other tasks than the zoo of \"{parts[0].Architecture.Name}\"; a mixed-architecture zoo trains every architecture on the same tasks");
            var layout = classRows ? ClassRows.RowLayout(architecture, config.Model.Vae.VectorLength)
                : WeightVectorizer.ModelWise(architecture.Tensors, config.Model.Vae.VectorLength >= architecture.ParameterCount
                    ? config.Model.Vae.VectorLength
                    : throw new ArgumentException($"model.vae.vectorLength {config.Model.Vae.VectorLength} is shorter than the {architecture.ParameterCount} parameters of the zoo's architecture \"{architecture.Name}\""));
            var taskIndex = manifest.Tasks.Select((t, i) => (t.Id, i)).ToDictionary(p => p.Id, p => p.i);
            var partModels = manifest.Checkpoints.Select(entry => (IReadOnlyDictionary<string, float[]>)ZooCheckpoint.Read(ZooManifest.PathOf(folder, entry), architecture).Tensors).ToArray();
            modelTask.AddRange(manifest.Checkpoints.Select(entry => taskIndex[entry.Task]));
            modelArchitecture.AddRange(Enumerable.Repeat(parts.Count, partModels.Length));
            rowsPerModel = classRows ? architecture.Classes : 1;
            var partRaw = layout.FlattenMany(classRows ? partModels.SelectMany(m => ClassRows.Split(architecture, m)).ToArray() : partModels);
            string layoutFile = mixed ? run.LayoutOf(architecture.Name) : run.Layout, statsFile = mixed ? run.NormalizationOf(architecture.Name) : run.Normalization;
            NormalizationStats stats;
            if (File.Exists(layoutFile) && File.Exists(statsFile))
            {
                var saved = WeightVectorizer.Load(layoutFile);
                if (!saved.Equals(layout))
                    throw new FormatException($"{layoutFile}: the saved vector layout differs from the zoo's architecture and model.vae.vectorLength; use a new run folder");
                stats = NormalizationStats.Load(statsFile, layout);
            }
            else
            {
                var mode = config.Vectors.Normalization == "per-layer" ? NormalizationMode.PerLayer : NormalizationMode.PerParameter;
                stats = NormalizationStats.Fit(layout, partRaw, mode);
                layout.Save(layoutFile);
                stats.Save(statsFile);
            }
            var partNormalized = partRaw.ToArray();
            stats.Normalize(partNormalized);
            parts.Add(new Part(manifest, layout, stats));
            models.AddRange(partModels);
            raw.AddRange(partRaw);
            normalized.AddRange(partNormalized);
        }
        return new ZooVectors(parts, models, modelTask.ToArray(), modelArchitecture.ToArray(), rowsPerModel, raw.ToArray(), normalized.ToArray());
    }
}

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using RawDiffusion.Models;

namespace RawDiffusion.Pipeline;

/// <summary>The backbone that turns pixels into the features the zoo's heads and the dataset encoder see, trained on
/// images of the zoo's domain that no task uses (the first <see cref="Images"/> of a seeded shuffle of the train split).</summary>
public sealed record BackboneConfig
{
    public int Images { get; init; } = 8000;
    public int[] Hidden { get; init; } = [128, 64];
    public int Epochs { get; init; } = 3;
    public double LearningRate { get; init; } = 2e-3;
    public int Seed { get; init; } = 3;
}

/// <summary>The task family: k classes of the zoo's domain in a random recorded order; unseen tasks are class sets no
/// seen task has; cross-domain tasks draw k classes of another domain the zoo never sees.</summary>
public sealed record TaskConfig
{
    public string Domain { get; init; } = "fashion-mnist";
    public string CrossDomain { get; init; } = "mnist-digits";
    public int ClassesPerTask { get; init; } = 5;
    public int Seen { get; init; } = 100;
    public int Unseen { get; init; } = 10;
    public int CrossDomainTasks { get; init; } = 10;
    public int Seed { get; init; } = 1;
}

public sealed record ZooConfig
{
    /// <summary>A built-in architecture name or a JSON file; inputs and classes are set from the features and tasks.</summary>
    public string Architecture { get; init; } = "linear-head";
    /// <summary>A mixed-architecture zoo: two or more names or JSON files, each trained on every seen task (one sub-zoo
    /// per architecture in zoo/&lt;name&gt;/); replaces <see cref="Architecture"/>. Null for a zoo of one architecture.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string[]? Architectures { get; init; }
    public int Seeds { get; init; } = 3;
    public int Epochs { get; init; } = 4;
    public int KeepLastEpochs { get; init; } = 2;
    public int BatchSize { get; init; } = 128;
    public double LearningRate { get; init; } = 1e-2;
    public double WeightDecay { get; init; }
    /// <summary>Initialise every task's network of a seed from the same weights, so hidden units line up across tasks
    /// (what makes model-wise vectors of hidden-layer networks learnable; off: each task and seed draws its own).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool SharedInitialization { get; init; }
}

/// <summary>How zoo weights become the VAE's input vectors.</summary>
public sealed record VectorConfig
{
    /// <summary>"per-parameter" or "per-layer" z-scoring across the zoo.</summary>
    public string Normalization { get; init; } = "per-parameter";
    /// <summary>"model-wise" (D2NWG: one vector per checkpoint, conditioned on the dataset encoder's embedding) or
    /// "class-rows" (one vector per output row of a linear head, conditioned on that class's support prototype).</summary>
    public string Layout { get; init; } = ClassRows.ModelWiseLayout;
}

public sealed record StageTraining
{
    public int Steps { get; init; } = 1000;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 1e-3;
    public int CheckpointEvery { get; init; } = 500;
    public int Seed { get; init; } = 1;
}

public sealed record TrainingConfig
{
    public StageTraining Vae { get; init; } = new() { Steps = 1500, Seed = 12 };
    public StageTraining Encoder { get; init; } = new() { Steps = 300, BatchSize = 32, Seed = 22 };
    public StageTraining Diffusion { get; init; } = new() { Steps = 1500, Seed = 32 };
    /// <summary>Support sets drawn per seen task and cached as diffusion conditions.</summary>
    public int ConditionDraws { get; init; } = 16;
}

public sealed record SamplingConfig
{
    public int Samples { get; init; } = 10;
    /// <summary>Examples per class in the support set a condition is made of.</summary>
    public int SupportPerClass { get; init; } = 5;
    public int DdimSteps { get; init; } = 50;
    public double Eta { get; init; }
    public double Guidance { get; init; } = 2;
    public int Seed { get; init; } = 41;
}

public sealed record EvalConfig
{
    /// <summary>Seen tasks evaluated (the first n of the zoo's tasks).</summary>
    public int SeenTasks { get; init; } = 10;
    /// <summary>Support sets drawn per task. Each one conditions sampling.samples generated samples and is all that the
    /// prototype head, the probe and nearest-task retrieval see.</summary>
    public int ConditionSets { get; init; } = 5;
    /// <summary>Generated samples per support set whose support accuracy ranks highest, averaged as "top-k" (selection
    /// without test labels).</summary>
    public int SelectTop { get; init; } = 3;
    /// <summary>Random initialisations per task (PyTorch's default), as a baseline and as fine-tuning starts.</summary>
    public int RandomInits { get; init; } = 5;
    /// <summary>Cumulative epochs of fine-tuning (the zoo's optimiser on the task's training rows) after which every start
    /// is scored; epoch 0 is always scored. Empty: no fine-tuning curves.</summary>
    public int[] FineTuneEpochs { get; init; } = [1, 5, 25];
    /// <summary>Full-batch gradient steps of the support-set refinement of generated linear heads ("gen+sup"; 0 = off).</summary>
    public int SupportSteps { get; init; } = 100;
    public double SupportLearningRate { get; init; } = 0.01;
    /// <summary>Other support sizes (examples per class, e.g. [1, 10]) at which generation and the support-set baselines
    /// are also compared, one support set per task each, with the same trained models.</summary>
    public int[] Shots { get; init; } = [1, 10];
}

/// <summary>
/// Every stage of a D2NWG run in one plain JSON file (configs/demo.json is the default): data and backbone, tasks,
/// zoo, vectors, the networks (the model config of the generative models), their training, sampling and evaluation.
/// Unknown keys are rejected, naming the file and the key.
/// </summary>
public sealed record PipelineConfig
{
    public BackboneConfig Backbone { get; init; } = new();
    public TaskConfig Tasks { get; init; } = new();
    public ZooConfig Zoo { get; init; } = new();
    public VectorConfig Vectors { get; init; } = new();
    public ConditionConfig Condition { get; init; } = new();
    public ModelConfig Model { get; init; } = new();
    public TrainingConfig Training { get; init; } = new();
    public SamplingConfig Sampling { get; init; } = new();
    public EvalConfig Eval { get; init; } = new();

    public const string DefaultFile = "demo.json";

    public static PipelineConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"pipeline config not found: {path}", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>configs/demo.json, from a configs/ folder next to the program or in the repository.</summary>
    public static string DefaultPath() => ModelConfig.FindConfigFile(DefaultFile)
        ?? throw new FileNotFoundException($"configs/{DefaultFile} not found next to the program or in any folder above the current one; pass --config");

    public static PipelineConfig Parse(string json, string source = "config")
    {
        PipelineConfig? config;
        try { config = JsonSerializer.Deserialize<PipelineConfig>(json, ModelConfig.JsonOptions); }
        catch (JsonException e) { throw new FormatException($"{source}: {e.Message}", e); }
        if (config == null) throw new FormatException($"{source}: the file holds null, not a config object");
        try { config.Validate(); }
        catch (ArgumentException e) { throw new FormatException($"{source}: {e.Message}", e); }
        return config;
    }

    public string ToJson() => JsonSerializer.Serialize(this, ModelConfig.JsonOptions);

    /// <summary>The zoo's architecture names or files: zoo.architectures, or zoo.architecture alone.</summary>
    [JsonIgnore]
    public string[] ArchitectureNames => Zoo.Architectures ?? [Zoo.Architecture];

    /// <summary>Values the architecture condition appends to the UNet's vector condition (its one-hot index); 0 without it.</summary>
    [JsonIgnore]
    public int ArchitectureConditionLength => Condition.Has(ConditionConfig.Architecture) ? ArchitectureNames.Length : 0;

    /// <summary>A short hash of a part of the config, stored in stage checkpoints so --resume refuses a changed config.</summary>
    public static string Hash(object part) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(part, part.GetType(), ModelConfig.JsonOptions))))[..16].ToLowerInvariant();

    public void Validate()
    {
        static void Positive(string field, double value)
        {
            if (!(value > 0)) throw new ArgumentException($"{field} must be positive (got {value})");
        }
        Positive("backbone.images", Backbone.Images);
        Positive("backbone.epochs", Backbone.Epochs);
        Positive("backbone.learningRate", Backbone.LearningRate);
        if (Backbone.Hidden.Length == 0 || Backbone.Hidden.Any(h => h < 1)) throw new ArgumentException("backbone.hidden must list positive widths");
        if (Tasks.ClassesPerTask < 2) throw new ArgumentException($"tasks.classesPerTask must be at least 2 (got {Tasks.ClassesPerTask})");
        Positive("tasks.seen", Tasks.Seen);
        if (Tasks.Unseen < 0 || Tasks.CrossDomainTasks < 0) throw new ArgumentException("tasks.unseen and tasks.crossDomainTasks cannot be negative");
        Positive("zoo.seeds", Zoo.Seeds);
        Positive("zoo.epochs", Zoo.Epochs);
        if (Zoo.KeepLastEpochs < 1 || Zoo.KeepLastEpochs > Zoo.Epochs) throw new ArgumentException($"zoo.keepLastEpochs must be between 1 and zoo.epochs = {Zoo.Epochs} (got {Zoo.KeepLastEpochs})");
        Positive("zoo.batchSize", Zoo.BatchSize);
        Positive("zoo.learningRate", Zoo.LearningRate);
        if (Vectors.Normalization is not ("per-parameter" or "per-layer")) throw new ArgumentException($"vectors.normalization must be \"per-parameter\" or \"per-layer\" (got \"{Vectors.Normalization}\")");
        foreach (var (name, stage) in new[] { ("vae", Training.Vae), ("encoder", Training.Encoder), ("diffusion", Training.Diffusion) })
        {
            Positive($"training.{name}.steps", stage.Steps);
            Positive($"training.{name}.batchSize", stage.BatchSize);
            Positive($"training.{name}.learningRate", stage.LearningRate);
            if (stage.CheckpointEvery < 0) throw new ArgumentException($"training.{name}.checkpointEvery cannot be negative");
        }
        Positive("training.conditionDraws", Training.ConditionDraws);
        Positive("sampling.samples", Sampling.Samples);
        Positive("sampling.supportPerClass", Sampling.SupportPerClass);
        Positive("sampling.ddimSteps", Sampling.DdimSteps);
        if (Sampling.DdimSteps > Model.Diffusion.Steps) throw new ArgumentException($"sampling.ddimSteps {Sampling.DdimSteps} exceeds model.diffusion.steps {Model.Diffusion.Steps}");
        if (Sampling.Eta < 0) throw new ArgumentException("sampling.eta cannot be negative");
        if (Sampling.Guidance < 0) throw new ArgumentException("sampling.guidance cannot be negative");
        if (Eval.SeenTasks < 0) throw new ArgumentException("eval.seenTasks cannot be negative");
        Positive("eval.conditionSets", Eval.ConditionSets);
        Positive("eval.randomInits", Eval.RandomInits);
        if (Eval.SelectTop < 1 || Eval.SelectTop > Sampling.Samples) throw new ArgumentException($"eval.selectTop must be between 1 and sampling.samples = {Sampling.Samples} (got {Eval.SelectTop})");
        if (Eval.FineTuneEpochs.Any(e => e < 1) || Eval.FineTuneEpochs.Zip(Eval.FineTuneEpochs.Skip(1)).Any(p => p.Second <= p.First))
            throw new ArgumentException($"eval.fineTuneEpochs must be increasing positive epoch counts (got [{string.Join(", ", Eval.FineTuneEpochs)}])");
        if (Eval.SupportSteps < 0) throw new ArgumentException("eval.supportSteps cannot be negative");
        if (Eval.Shots.Any(k => k < 1)) throw new ArgumentException($"eval.shots must list positive examples-per-class counts (got [{string.Join(", ", Eval.Shots)}])");
        Positive("eval.supportLearningRate", Eval.SupportLearningRate);
        if (Vectors.Layout is not (ClassRows.ModelWiseLayout or ClassRows.Layout))
            throw new ArgumentException($"vectors.layout must be \"{ClassRows.ModelWiseLayout}\" or \"{ClassRows.Layout}\" (got \"{Vectors.Layout}\")");
        Condition.Validate();
        if (Zoo.Architectures != null)
        {
            if (Zoo.Architectures.Length < 2)
                throw new ArgumentException($"zoo.architectures must list two or more architectures for a mixed-architecture zoo (got {Zoo.Architectures.Length}; use zoo.architecture for one)");
            if (Zoo.Architectures.GroupBy(a => a).FirstOrDefault(g => g.Count() > 1) is { } twice)
                throw new ArgumentException($"zoo.architectures lists \"{twice.Key}\" twice");
            if (Vectors.Layout != ClassRows.ModelWiseLayout)
                throw new ArgumentException($"zoo.architectures: a mixed-architecture zoo needs vectors.layout \"{ClassRows.ModelWiseLayout}\" (\"{Vectors.Layout}\" generates the rows of one linear head)");
            if (!Condition.Has(ConditionConfig.Architecture))
                throw new ArgumentException($"condition.kind must include \"{ConditionConfig.Architecture}\" for a mixed-architecture zoo (zoo.architectures), so that sampling can choose the architecture");
        }
        else if (Condition.Has(ConditionConfig.Architecture))
            throw new ArgumentException($"condition.kind \"{ConditionConfig.Architecture}\" needs a mixed-architecture zoo: list two or more architectures in zoo.architectures");
        if (Vectors.Layout == ClassRows.Layout)
        {
            int rowCondition = ClassRows.ConditionLength(Model.DatasetEncoder.FeatureLength);
            if (Model.UNet.ConditionVectorLength != rowCondition)
                throw new ArgumentException($"model.unet.conditionVectorLength {Model.UNet.ConditionVectorLength} must be {rowCondition} with vectors.layout \"{ClassRows.Layout}\" (a class prototype and the task's mean prototype, {Model.DatasetEncoder.FeatureLength} features each)");
        }
        else
        {
            if (ArchitectureConditionLength > 0 && Model.UNet.ConditionVectorLength != Model.DatasetEncoder.OutputLength + ArchitectureConditionLength)
                throw new ArgumentException($"model.unet.conditionVectorLength {Model.UNet.ConditionVectorLength} must be model.datasetEncoder.outputLength {Model.DatasetEncoder.OutputLength} + {ArchitectureConditionLength} = {Model.DatasetEncoder.OutputLength + ArchitectureConditionLength} (the dataset embedding, then a one-hot index of the {ArchitectureConditionLength} architectures of zoo.architectures)");
            if (ArchitectureConditionLength == 0 && Model.UNet.ConditionVectorLength != Model.DatasetEncoder.OutputLength)
                throw new ArgumentException($"model.unet.conditionVectorLength {Model.UNet.ConditionVectorLength} must equal model.datasetEncoder.outputLength {Model.DatasetEncoder.OutputLength} (the dataset embedding conditions the UNet)");
            if (Model.DatasetEncoder.OutputLength != Model.Vae.LatentSize)
                throw new ArgumentException($"model.datasetEncoder.outputLength {Model.DatasetEncoder.OutputLength} must equal the VAE latent size {Model.Vae.LatentSize} (contrastive alignment)");
        }
        if (Model.DatasetEncoder.FeatureLength != Backbone.Hidden[^1])
            throw new ArgumentException($"model.datasetEncoder.featureLength {Model.DatasetEncoder.FeatureLength} must equal the backbone's feature length backbone.hidden[-1] = {Backbone.Hidden[^1]}");
        if (Model.DatasetEncoder.MaxClasses < Tasks.ClassesPerTask)
            throw new ArgumentException($"model.datasetEncoder.maxClasses {Model.DatasetEncoder.MaxClasses} is below tasks.classesPerTask {Tasks.ClassesPerTask}");
        Model.Validate();
    }
}

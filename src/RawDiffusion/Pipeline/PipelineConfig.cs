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
    /// <summary>The accuracy predictor (when model.predictor is set).</summary>
    public StageTraining Predictor { get; init; } = new() { Steps = 1000, CheckpointEvery = 0, Seed = 52 };
    /// <summary>Support sets drawn per seen task and cached as diffusion conditions.</summary>
    public int ConditionDraws { get; init; } = 16;
}

public sealed record SamplingConfig
{
    public int Samples { get; init; } = 10;
    /// <summary>Examples per class in the support set a condition is made of.</summary>
    public int SupportPerClass { get; init; } = 5;
    /// <summary>"ddim" (<see cref="DdimSteps"/> deterministic steps at <see cref="Eta"/> 0) or "ddpm": ancestral sampling
    /// through every step of the noise schedule, as the paper samples.</summary>
    public string Sampler { get; init; } = "ddim";
    /// <summary>Class rows only: "independent" starting noise for every row, or "shared": the rows of one generated head
    /// start from the same x_T, so they are denoised as one coherent head (same scale and offset) under their classes' conditions.</summary>
    public string RowNoise { get; init; } = "independent";
    public int DdimSteps { get; init; } = 50;
    public double Eta { get; init; }
    public double Guidance { get; init; } = 2;
    /// <summary>Step size of support-set guidance (<see cref="Pipeline.SupportGuidance"/>): at each sampler step the
    /// generated heads' clean estimate takes <see cref="SupportGuidanceSteps"/> gradient steps down the heads'
    /// cross-entropy on the support examples. 0 (the default) samples from the condition alone.</summary>
    public double SupportGuidance { get; init; }
    public int SupportGuidanceSteps { get; init; } = 1;
    public int Seed { get; init; } = 41;

    /// <summary>One line for reports, e.g. "DDIM 25 steps (eta 0), classifier-free guidance 2, shared row noise, support guidance 1 (1 step per sampler step)".</summary>
    public string Describe()
    {
        var parts = new List<string>
        {
            Sampler == "ddpm" ? "ancestral DDPM through every schedule step" : $"DDIM {DdimSteps} steps (eta {Eta:G3})",
            $"classifier-free guidance {Guidance:G3}",
        };
        if (RowNoise == "shared") parts.Add("shared row noise");
        parts.Add(SupportGuidance > 0 ? $"support guidance {SupportGuidance:G3} ({SupportGuidanceSteps} step{(SupportGuidanceSteps == 1 ? "" : "s")} per sampler step)" : "no support guidance");
        return string.Join(", ", parts);
    }
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
    /// <summary>What the diffusion model is conditioned on: the dataset (default), task ids, texts, the architecture, or a combination.</summary>
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
    public int ArchitectureConditionLength => Condition.Has(ConditionConfig.ArchitectureKind) ? ArchitectureNames.Length : 0;

    /// <summary>A short hash of a part of the config, stored in stage checkpoints so --resume refuses a changed config.</summary>
    public static string Hash(object part) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(part, part.GetType(), ModelConfig.JsonOptions))))[..16].ToLowerInvariant();

    /// <summary>The parts of the UNet's vector condition in order, with their lengths (null: the length of the user's
    /// embeddings file, known once it is read).</summary>
    public IReadOnlyList<(string Name, int? Length)> ConditionVectorParts()
    {
        var parts = new List<(string, int?)>();
        foreach (var kind in Condition.Kind)
        {
            if (kind == ConditionConfig.DatasetKind)
                parts.Add(Vectors.Layout == ClassRows.Layout ? ("class-row prototypes", ClassRows.ConditionLength(Model.DatasetEncoder.FeatureLength)) : ("model.datasetEncoder.outputLength", Model.DatasetEncoder.OutputLength));
            else if (kind == ConditionConfig.TextKind)
                parts.Add(Condition.Text.Encoder == TextConditionConfig.Hashed ? ("condition.text.hashLength", Condition.Text.HashLength) : ("condition.text.embeddings", null));
        }
        // The architecture's one-hot index always comes last, after the parts the TaskConditioner composes.
        if (ArchitectureConditionLength > 0) parts.Add(("the one-hot index of zoo.architectures", ArchitectureConditionLength));
        return parts;
    }

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
        foreach (var (name, stage) in new[] { ("vae", Training.Vae), ("encoder", Training.Encoder), ("diffusion", Training.Diffusion), ("predictor", Training.Predictor) })
        {
            Positive($"training.{name}.steps", stage.Steps);
            Positive($"training.{name}.batchSize", stage.BatchSize);
            Positive($"training.{name}.learningRate", stage.LearningRate);
            if (stage.CheckpointEvery < 0) throw new ArgumentException($"training.{name}.checkpointEvery cannot be negative");
        }
        Positive("training.conditionDraws", Training.ConditionDraws);
        Positive("sampling.samples", Sampling.Samples);
        Positive("sampling.supportPerClass", Sampling.SupportPerClass);
        if (Sampling.Sampler is not ("ddim" or "ddpm")) throw new ArgumentException($"sampling.sampler must be \"ddim\" or \"ddpm\" (got \"{Sampling.Sampler}\")");
        if (Sampling.RowNoise is not ("independent" or "shared")) throw new ArgumentException($"sampling.rowNoise must be \"independent\" or \"shared\" (got \"{Sampling.RowNoise}\")");
        if (Sampling.RowNoise == "shared" && Vectors.Layout != ClassRows.Layout)
            throw new ArgumentException($"sampling.rowNoise \"shared\" needs vectors.layout \"{ClassRows.Layout}\" (a model-wise vector is a whole network already)");
        Positive("sampling.ddimSteps", Sampling.DdimSteps);
        if (Sampling.DdimSteps > Model.Diffusion.Steps) throw new ArgumentException($"sampling.ddimSteps {Sampling.DdimSteps} exceeds model.diffusion.steps {Model.Diffusion.Steps}");
        if (Sampling.Eta < 0) throw new ArgumentException("sampling.eta cannot be negative");
        if (Sampling.Guidance < 0) throw new ArgumentException("sampling.guidance cannot be negative");
        if (!(Sampling.SupportGuidance >= 0)) throw new ArgumentException($"sampling.supportGuidance must be >= 0 (got {Sampling.SupportGuidance})");
        Positive("sampling.supportGuidanceSteps", Sampling.SupportGuidanceSteps);
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
        if (Condition is null) throw new ArgumentException("condition must be an object (e.g. { \"kind\": \"dataset\" })");
        if (Zoo.Architectures != null)
        {
            if (Zoo.Architectures.Length < 2)
                throw new ArgumentException($"zoo.architectures must list two or more architectures for a mixed-architecture zoo (got {Zoo.Architectures.Length}; use zoo.architecture for one)");
            if (Zoo.Architectures.GroupBy(a => a).FirstOrDefault(g => g.Count() > 1) is { } twice)
                throw new ArgumentException($"zoo.architectures lists \"{twice.Key}\" twice");
            if (Vectors.Layout != ClassRows.ModelWiseLayout)
                throw new ArgumentException($"zoo.architectures: a mixed-architecture zoo needs vectors.layout \"{ClassRows.ModelWiseLayout}\" (\"{Vectors.Layout}\" generates the rows of one linear head)");
            if (!Condition.Has(ConditionConfig.ArchitectureKind))
                throw new ArgumentException($"condition.kind must include \"{ConditionConfig.ArchitectureKind}\" for a mixed-architecture zoo (zoo.architectures), so that sampling can choose the architecture");
            if (Model.Predictor != null)
                throw new ArgumentException("model.predictor: the accuracy predictor learns the weight space of one architecture; a mixed-architecture zoo (zoo.architectures) cannot train one");
        }
        else if (Condition.Has(ConditionConfig.ArchitectureKind))
            throw new ArgumentException($"condition.kind \"{ConditionConfig.ArchitectureKind}\" needs a mixed-architecture zoo: list two or more architectures in zoo.architectures");
        // After the zoo checks, so a mixed zoo with class rows is refused for the zoo rather than for its condition.
        Condition.Validate(Vectors.Layout);
        if (Vectors.Layout == ClassRows.Layout)
            UNetConditionInput.Check(Model.UNet, ClassRows.ConditionLength(Model.DatasetEncoder.FeatureLength),
                $"with vectors.layout \"{ClassRows.Layout}\" each row's condition is its class prototype and the task's mean prototype, {Model.DatasetEncoder.FeatureLength} features each");
        else
        {
            var parts = ConditionVectorParts();
            int known = parts.Sum(p => p.Length ?? 0);
            string spelled = string.Join(" + ", parts.Select(p => $"{p.Name} {(p.Length is { } n ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "(the file's columns)")}"));
            if (Model.UNet.ConditionMapChannels > 0)
            {
                // Condition maps (the paper's concatenation) reshape the whole condition, so its length must be known from the config.
                if (parts.Any(p => p.Length == null))
                    throw new ArgumentException($"model.unet.conditionMapChannels {Model.UNet.ConditionMapChannels}: condition maps need condition lengths the config fixes; user text embeddings ({spelled}) must enter as a vector (conditionMapChannels 0)");
                UNetConditionInput.Check(Model.UNet, known, $"the vector conditions of condition.kind [{string.Join(", ", Condition.Kind)}]: {spelled}");
            }
            else
            {
                if (parts.All(p => p.Length != null) && Model.UNet.ConditionVectorLength != known)
                    throw new ArgumentException($"model.unet.conditionVectorLength {Model.UNet.ConditionVectorLength} must be {known}, the vector conditions of condition.kind [{string.Join(", ", Condition.Kind)}]" +
                                                (parts.Count == 0 ? " (none: set it to 0)" : $" ({spelled})"));
                if (parts.Any(p => p.Length == null) && Model.UNet.ConditionVectorLength <= known)
                    throw new ArgumentException($"model.unet.conditionVectorLength {Model.UNet.ConditionVectorLength} leaves no room for the user's text embeddings ({spelled})");
            }
            if (Condition.Has(ConditionConfig.DatasetKind) && Model.DatasetEncoder.OutputLength != Model.Vae.LatentSize)
                throw new ArgumentException($"model.datasetEncoder.outputLength {Model.DatasetEncoder.OutputLength} must equal the VAE latent size {Model.Vae.LatentSize} (contrastive alignment)");
        }
        int taskIds = Condition.Has(ConditionConfig.TaskIdKind) ? Tasks.Seen : 0;
        if (Model.UNet.ClassCount != taskIds)
            throw new ArgumentException(taskIds > 0
                ? $"model.unet.classCount {Model.UNet.ClassCount} must equal tasks.seen {Tasks.Seen} with a task-id condition (one learned embedding per seen task; the UNet adds the null task)"
                : $"model.unet.classCount {Model.UNet.ClassCount} must be 0: only a task-id condition (condition.kind) uses the UNet's class-index input");
        if (Model.DatasetEncoder.FeatureLength != Backbone.Hidden[^1])
            throw new ArgumentException($"model.datasetEncoder.featureLength {Model.DatasetEncoder.FeatureLength} must equal the backbone's feature length backbone.hidden[-1] = {Backbone.Hidden[^1]}");
        if (Model.DatasetEncoder.MaxClasses < Tasks.ClassesPerTask)
            throw new ArgumentException($"model.datasetEncoder.maxClasses {Model.DatasetEncoder.MaxClasses} is below tasks.classesPerTask {Tasks.ClassesPerTask}");
        Model.Validate();
        if (Model.Vae.Reconstruction == VaeConfig.PredictorGuided && !PredictorSpace.IsVaeSpace(this))
            throw new ArgumentException($"model.vae.reconstruction \"{VaeConfig.PredictorGuided}\" needs vectors.layout \"{ClassRows.ModelWiseLayout}\" and vectors.normalization \"per-parameter\", so the accuracy predictor sees the VAE's own vectors");
    }
}

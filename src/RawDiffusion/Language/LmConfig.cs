using System.Text.Json;
using System.Text.Json.Serialization;
using RawDiffusion.Models.Language;

namespace RawDiffusion.Language;

/// <summary>The network of an lm run; the vocabulary is the byte tokenizer's.</summary>
public sealed record LmModelSection(int HiddenSize, int IntermediateSize, int Layers, int Heads, int Context,
                                    double RopeTheta = 10000, double RmsNormEps = 1e-6)
{
    public LlamaConfig ToLlama() => new(ByteTokenizer.VocabSize, HiddenSize, IntermediateSize, Layers, Heads, Context, RmsNormEps, RopeTheta);
}

/// <summary>AdamW with linear warm-up and cosine decay to <see cref="MinLearningRate"/>, gradient-norm clipping.</summary>
public sealed record LmTrainingSection(int Steps, int BatchSize, double LearningRate, int WarmupSteps, double MinLearningRate,
                                       double WeightDecay, double GradClip, int CheckpointEvery, ulong Seed = 1);

/// <summary>The zoo: each domain fine-tuned from the base with each seed; the models after the last
/// <see cref="KeepLast"/> multiples of <see cref="SaveEvery"/> steps are kept.</summary>
public sealed record LmFinetuneSection(LmTrainingSection Training, ulong[] Seeds, int KeepLast, int SaveEvery);

/// <summary>Steps, batch, learning rate (AdamW, constant), checkpoint interval and seed of a generator stage.</summary>
public sealed record LmStageTraining(int Steps, int BatchSize, double LearningRate, int CheckpointEvery, ulong Seed = 1);

/// <summary>Chunk-wise generation of selected layers and Algorithm 1:
/// <list type="bullet">
/// <item><see cref="Modules"/>: the module types whose weights are generated (e.g. "mlp.down_proj"), in the decoder layers
/// <see cref="Layers"/> (all when null);</item>
/// <item>the selected tensors are cut layer-wise into chunks of <see cref="ChunkSize"/>, z-scored (per-parameter zoo mean,
/// per-tensor std), and a weight VAE (<see cref="Vae"/>, vector length = chunk size) and a latent UNet (<see cref="UNet"/>,
/// class = domain × chunks + chunk) are trained on them;</item>
/// <item><see cref="Candidates"/> (K) full sets of layers are sampled per domain (DDIM, <see cref="DdimSteps"/>,
/// classifier-free <see cref="GuidanceScale"/>); refine keeps a candidate layer only where it lowers the loss on the
/// domain's selection text (the last <see cref="SelectionDocuments"/> training documents).</item>
/// </list></summary>
public sealed record LmGenerationSection(string[] Modules, int[]? Layers, int ChunkSize, Models.VaeConfig Vae, Models.UNetConfig UNet,
                                         Models.DiffusionConfig Diffusion, LmStageTraining VaeTraining, LmStageTraining UNetTraining,
                                         int Candidates, int DdimSteps, double GuidanceScale, int SelectionDocuments);

/// <summary>configs/lm.json: domains, network, base training, fine-tuning (the zoo), evaluation and layer generation.</summary>
public sealed record LmConfig(string[] Domains, LmModelSection Model, LmTrainingSection Base, LmFinetuneSection Finetune, int EvalBatchSize = 16,
                              LmGenerationSection? Generation = null)
{
    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectRequiredConstructorParameters = true,
        WriteIndented = true,
    };

    public const string DefaultFile = "lm.json";

    /// <summary>configs/lm.json, from a configs/ folder next to the program or in the repository.</summary>
    public static string DefaultPath() => Models.ModelConfig.FindConfigFile(DefaultFile)
        ?? throw new FileNotFoundException($"configs/{DefaultFile} not found next to the program or in any folder above the current one; pass --config");

    public static LmConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: lm config not found", path);
        return Parse(File.ReadAllText(path), path);
    }

    public static LmConfig Parse(string json, string source)
    {
        LmConfig? config;
        try { config = JsonSerializer.Deserialize<LmConfig>(json, Json); }
        catch (JsonException e) { throw new ArgumentException($"{source}: {e.Message}", e); }
        return (config ?? throw new ArgumentException($"{source}: empty config")).Validate(source);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The sections the trained models depend on (domains, model, base, fine-tuning), serialised: a run folder
    /// keeps these fixed, while later sections (evaluation, generation) may change between commands.</summary>
    public string TrainingJson() => JsonSerializer.Serialize(new { Domains, Model, Base, Finetune }, Json);

    public LmConfig Validate(string source)
    {
        if (Domains is not { Length: > 0 } || Domains.Any(string.IsNullOrWhiteSpace) || Domains.Distinct().Count() != Domains.Length)
            throw new ArgumentException($"{source}: domains must list distinct, non-empty domain names");
        Model.ToLlama().Validate($"{source}: model");
        Check(Base, "base");
        Check(Finetune.Training, "finetune.training");
        if (Finetune.Seeds is not { Length: > 0 } || Finetune.Seeds.Distinct().Count() != Finetune.Seeds.Length)
            throw new ArgumentException($"{source}: finetune.seeds must list distinct seeds");
        if (Finetune.SaveEvery < 1 || Finetune.KeepLast < 1 || (long)Finetune.SaveEvery * Finetune.KeepLast > Finetune.Training.Steps)
            throw new ArgumentException($"{source}: finetune.keepLast × finetune.saveEvery must be within finetune.training.steps ({Finetune.Training.Steps})");
        if (EvalBatchSize < 1) throw new ArgumentException($"{source}: evalBatchSize must be at least 1");
        if (Generation is { } g)
        {
            if (g.Modules is not { Length: > 0 } || g.Modules.Any(m => !LayerSelection.ModuleTypes.Contains(m)))
                throw new ArgumentException($"{source}: generation.modules must name module types among {string.Join(", ", LayerSelection.ModuleTypes)}");
            if (g.Layers != null && (g.Layers.Length == 0 || g.Layers.Any(l => l < 0 || l >= Model.Layers) || g.Layers.Distinct().Count() != g.Layers.Length))
                throw new ArgumentException($"{source}: generation.layers must list distinct decoder layers in [0, {Model.Layers})");
            if (g.ChunkSize < 1) throw new ArgumentException($"{source}: generation.chunkSize must be at least 1");
            g.Vae.Validate($"{source}: generation.vae");
            g.UNet.Validate($"{source}: generation.unet");
            if (g.Vae.VectorLength != g.ChunkSize) throw new ArgumentException($"{source}: generation.vae.vectorLength must equal generation.chunkSize ({g.ChunkSize})");
            if (g.Vae.LatentSize != g.UNet.LatentChannels * g.UNet.SpatialSize || g.UNet.OutChannels != g.UNet.LatentChannels || g.UNet.ConditionMapChannels != 0)
                throw new ArgumentException($"{source}: generation.unet must see the VAE latent ({g.Vae.LatentSize} values) as latentChannels × imageSize², with outChannels = latentChannels and conditionMapChannels 0");
            if (g.UNet.ClassCount < 1) throw new ArgumentException($"{source}: generation.unet.classCount must be positive; it is set from the domains and chunks");
            foreach (var (t, name) in new[] { (g.VaeTraining, "vaeTraining"), (g.UNetTraining, "unetTraining") })
                if (t.Steps < 1 || t.BatchSize < 1 || !(t.LearningRate > 0) || t.CheckpointEvery < 0)
                    throw new ArgumentException($"{source}: generation.{name} needs steps and batchSize >= 1, a positive learningRate and checkpointEvery >= 0");
            if (g.Candidates < 1 || g.DdimSteps < 1 || !(g.GuidanceScale >= 0) || g.SelectionDocuments < 1)
                throw new ArgumentException($"{source}: generation.candidates, ddimSteps and selectionDocuments must be at least 1 and guidanceScale >= 0");
        }
        return this;

        void Check(LmTrainingSection t, string name)
        {
            if (t.Steps < 1 || t.BatchSize < 1) throw new ArgumentException($"{source}: {name}.steps and {name}.batchSize must be at least 1");
            if (!(t.LearningRate > 0) || !(t.MinLearningRate >= 0) || t.MinLearningRate > t.LearningRate)
                throw new ArgumentException($"{source}: {name}.learningRate must be positive and {name}.minLearningRate in [0, learningRate]");
            if (t.WarmupSteps < 0 || t.WarmupSteps >= t.Steps) throw new ArgumentException($"{source}: {name}.warmupSteps must lie in [0, steps)");
            if (!(t.WeightDecay >= 0) || !(t.GradClip > 0)) throw new ArgumentException($"{source}: {name}.weightDecay must be >= 0 and {name}.gradClip positive");
            if (t.CheckpointEvery < 0) throw new ArgumentException($"{source}: {name}.checkpointEvery must be >= 0");
        }
    }
}

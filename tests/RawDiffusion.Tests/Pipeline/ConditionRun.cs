using System.Text.Json;
using RawDiffusion.IO;
using RawDiffusion.Pipeline;

namespace RawDiffusion.Tests.Pipeline;

/// <summary>
/// The tiny pipeline with another condition kind: the zoo, backbone and trained VAE of <see cref="TinyRun.Shared"/>
/// are copied, and only the diffusion stage (which is all a condition changes, besides the dataset encoder) is trained
/// and evaluated again, with a small evaluation (no fine-tuning curves, no other support sizes). Made once per kind on
/// first use; the folder is deleted when the test process exits.
/// </summary>
internal sealed class ConditionRun
{
    const string SmallEval = "\"eval\": { \"seenTasks\": 2, \"conditionSets\": 1, \"selectTop\": 1, \"randomInits\": 1, \"fineTuneEpochs\": [], \"supportSteps\": 0, \"shots\": [] }";

    static readonly Lazy<ConditionRun> taskId = new(() => new ConditionRun("task-id", _ => Json("\"task-id\"", classCount: 6, vectorLength: 0)), LazyThreadSafetyMode.ExecutionAndPublication);
    static readonly Lazy<ConditionRun> text = new(() => new ConditionRun("text", _ => Json("\"text\", \"text\": { \"hashLength\": 32 }", classCount: 0, vectorLength: 32)), LazyThreadSafetyMode.ExecutionAndPublication);
    static readonly Lazy<ConditionRun> embeddings = new(() => new ConditionRun("embeddings", files =>
    {
        var (npy, list) = WriteEmbeddings(files);
        return Json($"[\"text\", \"task-id\"], \"text\": {{ \"encoder\": \"embeddings\", \"embeddings\": {JsonSerializer.Serialize(npy)}, \"tasks\": {JsonSerializer.Serialize(list)} }}",
                    classCount: 6, vectorLength: EmbeddingLength);
    }), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Task ids alone: one learned embedding per seen task (classCount 6), no vector condition.</summary>
    public static ConditionRun TaskId => taskId.Value;
    /// <summary>Text alone, the built-in hashed encoder with 32 values.</summary>
    public static ConditionRun Text => text.Value;
    /// <summary>The user's text embeddings (8 values per task, a .npy file and a task list) combined with task ids.</summary>
    public static ConditionRun Embeddings => embeddings.Value;

    public const int EmbeddingLength = 8;

    /// <summary>The tiny config with <paramref name="condition"/> as the value of condition.kind (and what follows it).</summary>
    public static string Json(string condition, int classCount, int vectorLength) => TinyPipeline.Json
        .Replace("\"vectors\": { \"normalization\": \"per-parameter\" },", $"\"vectors\": {{ \"normalization\": \"per-parameter\" }},\n  \"condition\": {{ \"kind\": {condition} }},")
        .Replace("\"classCount\": 0, \"conditionVectorLength\": 64,", $"\"classCount\": {classCount}, \"conditionVectorLength\": {vectorLength},")
        .Replace(TinyPipeline.Json[TinyPipeline.Json.IndexOf("\"eval\"", StringComparison.Ordinal)..TinyPipeline.Json.LastIndexOf('}')].TrimEnd(), SmallEval);

    /// <summary>One seeded Gaussian row per task of the tiny run (seen, unseen and cross-domain), and the task list.</summary>
    public static (string Npy, string Tasks) WriteEmbeddings(string folder)
    {
        var splits = TaskSplits.Draw(TinyPipeline.Config.Tasks);
        var ids = splits.Seen.Concat(splits.Unseen).Concat(splits.CrossDomain).Select(t => t.Id).ToArray();
        var rng = new Random(5);
        var values = new float[ids.Length * EmbeddingLength];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(rng.NextDouble() * 2 - 1);
        string npy = Path.Combine(folder, "task-embeddings.npy"), list = Path.Combine(folder, "task-embeddings.txt");
        NpyFile.Write(npy, values, [ids.Length, EmbeddingLength]);
        File.WriteAllLines(list, ["# one task id per row of task-embeddings.npy", .. ids]);
        return (npy, list);
    }

    ConditionRun(string name, Func<string, string> json)
    {
        Root = Path.Combine(Path.GetTempPath(), $"rawdiffusion-condition-{name}-" + Guid.NewGuid().ToString("N"));
        Files = Root + "-files";
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var folder in new[] { Root, Files })
                try { if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); }
                catch (IOException) { }
        };
        Directory.CreateDirectory(Files);
        Config = PipelineConfig.Parse(json(Files), $"tiny ({name})");
        ConfigValidation.Check(Config, $"tiny ({name})", long.MaxValue);
        Folder = TinyRun.Shared.CopyTo(Root, "backbone.safetensors", "tasks.json", "zoo", "layout.json", "normalization.safetensors", "vae.safetensors");
        PipelineRun.PrepareFolder(Config, Folder, resume: false);
        using var context = new RunContext(Config, Folder);
        foreach (var stage in PipelineRun.Stages(Config).Where(s => s != VaeStage.Name))
            PipelineRun.TrainStage(context, stage, new StageOptions());
        using var generator = new WeightGenerator(Config, Folder);
        Report = DemoReport.Evaluate(Config, Folder, context.Data, generator, context.Vectors);
    }

    public string Root { get; }
    public string Files { get; }
    public PipelineConfig Config { get; }
    public RunFolder Folder { get; }
    public DemoReport Report { get; }
}

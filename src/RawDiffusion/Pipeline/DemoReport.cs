using System.Globalization;
using System.Text;
using System.Text.Json;
using RawDiffusion.IO;
using RawDiffusion.Models;
using RawDiffusion.Tasks;
using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>One task's results: accuracies (0..1) of every generated sample and of each baseline.</summary>
public sealed record TaskResult(string Group, string Task, string[] ClassNames, double[] Generated, double[]? Zoo, double RandomInit, double MeanOfZoo,
                                double Nearest, string NearestTask, double? GeneratedFineTuned, double? RandomFineTuned)
{
    public double GeneratedMean => Generated.Average();
    public double GeneratedTop3 => Generated.OrderDescending().Take(3).Average();
}

/// <summary>A group of tasks (seen, unseen combinations, cross-domain) averaged over its tasks.</summary>
public sealed record GroupSummary(string Group, int Tasks, double GeneratedMean, double GeneratedTop3, double? Zoo, double RandomInit, double MeanOfZoo,
                                  double Nearest, double? GeneratedFineTuned, double? RandomFineTuned);

/// <summary>
/// The demo's comparison: for seen tasks, unseen class combinations and cross-domain tasks, weights generated from
/// K examples per class against the zoo's own models, random initialisation, the mean of the zoo, and retrieval of
/// the nearest seen task's models by dataset embedding; optionally after fine-tuning.
/// </summary>
public sealed class DemoReport
{
    public const string SeenGroup = "seen", UnseenGroup = "unseen combos", CrossGroup = "cross-domain";

    public required IReadOnlyList<TaskResult> Tasks { get; init; }
    public required string Architecture { get; init; }
    public required int ZooModels { get; init; }
    public required int Samples { get; init; }
    public required int SupportPerClass { get; init; }
    public required int FineTuneEpochs { get; init; }
    public required string Domain { get; init; }
    public required string CrossDomain { get; init; }
    public string Device { get; init; } = Backends.Backend.DefaultDescription;
    public TimeSpan Elapsed { get; set; }

    public IReadOnlyList<GroupSummary> Groups() => Tasks.GroupBy(t => t.Group).Select(g => new GroupSummary(
        g.Key, g.Count(), g.Average(t => t.GeneratedMean), g.Average(t => t.GeneratedTop3),
        g.All(t => t.Zoo != null) ? g.Average(t => t.Zoo!.Average()) : null,
        g.Average(t => t.RandomInit), g.Average(t => t.MeanOfZoo), g.Average(t => t.Nearest),
        g.All(t => t.GeneratedFineTuned != null) ? g.Average(t => t.GeneratedFineTuned!.Value) : null,
        g.All(t => t.RandomFineTuned != null) ? g.Average(t => t.RandomFineTuned!.Value) : null)).ToArray();

    /// <summary>Evaluates every task of the run (the first eval.seenTasks seen tasks, all unseen and cross-domain ones).</summary>
    public static DemoReport Evaluate(PipelineConfig config, RunFolder run, RunData data, WeightGenerator generator, ZooVectors zoo,
                                      IProgress<string>? progress = null, CancellationToken cancel = default)
    {
        var splits = ZooStage.Tasks(config, run);
        var architecture = generator.Architecture;
        var rowsByTask = zoo.RowsByTask();
        var seenIndex = zoo.Tasks.Select((t, i) => (t.Id, i)).ToDictionary(p => p.Id, p => p.i);
        var zooWeights = Enumerable.Range(0, zoo.Count).Select(r => zoo.Layout.Unflatten(zoo.Raw.AsSpan(r * zoo.Length, zoo.Length))).ToArray();
        var meanVector = new float[zoo.Length];
        for (int r = 0; r < zoo.Count; r++)
            for (int i = 0; i < zoo.Length; i++) meanVector[i] += zoo.Raw[r * zoo.Length + i] / zoo.Count;
        var meanOfZoo = zoo.Layout.Unflatten(meanVector);
        // Each seen task's dataset embedding, averaged over support draws: the index nearest-task retrieval searches.
        var indexGenerator = new Generator((ulong)config.Sampling.Seed + 7);
        int e = config.Model.DatasetEncoder.OutputLength, draws = config.Training.ConditionDraws;
        var seenEmbeddings = zoo.Tasks.Select(t =>
        {
            var all = EncoderStage.Embed(generator.Encoder, data.For(t).Train, config.Sampling.SupportPerClass, draws, indexGenerator);
            return Enumerable.Range(0, e).Select(j => Enumerable.Range(0, draws).Average(d => all[d * e + j])).ToArray();
        }).ToArray();

        var groups = new (string Name, IEnumerable<TaskSpec> Tasks)[]
        {
            (SeenGroup, splits.Seen.Take(config.Eval.SeenTasks)), (UnseenGroup, splits.Unseen), (CrossGroup, splits.CrossDomain),
        };
        var results = new List<TaskResult>();
        int total = groups.Sum(g => g.Tasks.Count()), done = 0;
        foreach (var (group, tasks) in groups)
            foreach (var task in tasks)
            {
                cancel.ThrowIfCancellationRequested();
                // The condition comes from backbone features; the networks are scored and fine-tuned on the rows they take.
                var (train, test) = data.InputsFor(task, architecture);
                var g = new Generator((ulong)config.Sampling.Seed * 1_000_003 + (ulong)results.Count);
                var embedding = generator.Embed(data.For(task).Train, g);
                var samples = generator.Generate(embedding, config.Sampling.Samples, g);
                var generated = samples.Select(w => Evaluation.Accuracy(architecture, w, test)).ToArray();
                double[]? own = !seenIndex.TryGetValue(task.Id, out int seenRow) ? null : rowsByTask[seenRow].Select(r => Evaluation.Accuracy(architecture, zooWeights[r], test)).ToArray();
                var randomInits = Enumerable.Range(0, config.Sampling.Samples).Select(s => Evaluation.RandomWeights(architecture, (ulong)(1000 + s))).ToArray();
                double random = randomInits.Average(w => Evaluation.Accuracy(architecture, w, test));
                int nearest = Enumerable.Range(0, seenEmbeddings.Length).MinBy(t => seenEmbeddings[t].Select((x, j) => (x - embedding[j]) * (double)(x - embedding[j])).Sum());
                double retrieved = rowsByTask[nearest].Average(r => Evaluation.Accuracy(architecture, zooWeights[r], test));
                double? genTuned = null, randomTuned = null;
                if (config.Eval.FineTuneEpochs > 0)
                {
                    int best = Array.IndexOf(generated, generated.Max());
                    genTuned = Evaluation.FineTunedAccuracy(architecture, samples[best], train, test, config.Eval.FineTuneEpochs, config.Zoo.LearningRate, 5);
                    randomTuned = Evaluation.FineTunedAccuracy(architecture, randomInits[0], train, test, config.Eval.FineTuneEpochs, config.Zoo.LearningRate, 5);
                }
                results.Add(new TaskResult(group, task.Id, task.ClassNames, generated, own, random, Evaluation.Accuracy(architecture, meanOfZoo, test),
                                           retrieved, zoo.Tasks[nearest].Id, genTuned, randomTuned));
                progress?.Report($"evaluated {++done}/{total}: {task.Id}");
            }
        return new DemoReport
        {
            Tasks = results, Architecture = architecture.Name, ZooModels = zoo.Count, Samples = config.Sampling.Samples,
            SupportPerClass = config.Sampling.SupportPerClass, FineTuneEpochs = config.Eval.FineTuneEpochs,
            Domain = config.Tasks.Domain, CrossDomain = config.Tasks.CrossDomain,
        };
    }

    static string P(double? v) => v == null ? "–" : (100 * v.Value).ToString("F1", CultureInfo.InvariantCulture);

    public static readonly string[] Columns =
        ["tasks", "n", "gen mean", "gen top-3", "zoo", "random", "zoo mean", "nearest", "gen+FT", "rand+FT"];

    public IEnumerable<string[]> Rows() => Groups().Select(g => new[]
    {
        g.Group == CrossGroup ? $"{CrossDomain}" : g.Group, g.Tasks.ToString(CultureInfo.InvariantCulture),
        P(g.GeneratedMean), P(g.GeneratedTop3), P(g.Zoo), P(g.RandomInit), P(g.MeanOfZoo), P(g.Nearest), P(g.GeneratedFineTuned), P(g.RandomFineTuned),
    });

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine("# D2NWG demo report").AppendLine();
        md.AppendLine($"Zoo: {ZooModels} `{Architecture}` checkpoints on {Domain} class-subset tasks. Generated: {Samples} samples per task from " +
                      $"{SupportPerClass} examples per class. Test accuracy in %, averaged over tasks. Columns: gen mean / gen top-3 = mean / top-3 of the generated " +
                      $"samples; zoo = the zoo's own checkpoints for the task; random = PyTorch-default initialisation; zoo mean = the average of all zoo weights; " +
                      $"nearest = the zoo models of the seen task whose dataset embedding is nearest; gen+FT / rand+FT = after {FineTuneEpochs} fine-tuning epoch(s) " +
                      $"(best generated sample vs one random initialisation). Rows: seen = tasks of the zoo; unseen combos = {Domain} class sets no zoo task has; " +
                      $"{CrossDomain} = tasks of a domain the zoo never saw (features from the {Domain} backbone). Time: {Elapsed.TotalSeconds:F0} s on {Device}.").AppendLine();
        md.AppendLine("| " + string.Join(" | ", Columns) + " |");
        md.AppendLine("|" + string.Concat(Columns.Select((_, i) => i == 0 ? "---|" : "---:|")));
        foreach (var row in Rows()) md.AppendLine("| " + string.Join(" | ", row) + " |");
        md.AppendLine().AppendLine("## Per task").AppendLine();
        md.AppendLine("| group | task | classes | generated mean | top-3 | zoo | random | mean of zoo | nearest (task) |");
        md.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---|");
        foreach (var t in Tasks)
            md.AppendLine($"| {t.Group} | `{t.Task}` | {string.Join(", ", t.ClassNames)} | {P(t.GeneratedMean)} | {P(t.GeneratedTop3)} | {P(t.Zoo?.Average())} | {P(t.RandomInit)} | {P(t.MeanOfZoo)} | {P(t.Nearest)} (`{t.NearestTask}`) |");
        return md.ToString();
    }

    public void Save(RunFolder run)
    {
        AtomicFile.Write(run.ReportMarkdown, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(ToMarkdown()); });
        AtomicFile.Write(run.ReportJson, s => JsonSerializer.Serialize(s, new
        {
            Architecture, ZooModels, Samples, SupportPerClass, FineTuneEpochs, Domain, CrossDomain, Device, ElapsedSeconds = Elapsed.TotalSeconds,
            Groups = Groups(), Tasks,
        }, ModelConfig.JsonOptions));
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using RawDiffusion.IO;
using RawDiffusion.Models;
using RawDiffusion.Tasks;
using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>
/// One task's results, accuracies in 0..1. Per support set s (eval.conditionSets of them): the test and support accuracy
/// of every generated sample, the support-refined samples, and the baselines that see the same support set. Per task:
/// the zoo's own checkpoints (seen tasks), the mean of the zoo, random initialisations, and fine-tuning curves.
/// </summary>
public sealed record TaskResult(
    string Group, string Task, string[] ClassNames,
    double[][] Generated, double[][] GeneratedSupport, double[][]? GeneratedPredicted, double[][]? Refined,
    double[]? Zoo, double[] Prototype, double[] Probe, double[] Nearest, string[] NearestTask,
    double MeanOfZoo, double[] Random, IReadOnlyDictionary<string, double[]> FineTune, IReadOnlyList<ShotResult> Shots)
{
    public double GeneratedMean => Generated.SelectMany(s => s).Average();
    /// <summary>Standard deviation over every generated sample of the task (all support sets).</summary>
    public double GeneratedStd => Statistics.Std(Generated.SelectMany(s => s).ToArray());
    public double? RefinedMean => Refined?.SelectMany(s => s).Average();

    /// <summary>Mean test accuracy of the <paramref name="k"/> samples of each support set that classify that support set
    /// best (ties keep sampling order), averaged over the sets: selection without test labels.</summary>
    public double SelectedTop(int k) => Selected(k, GeneratedSupport);

    /// <summary>As <see cref="SelectedTop"/>, ranked by the accuracy predictor instead (null without one).</summary>
    public double? PredictorTop(int k) => GeneratedPredicted == null ? null : Selected(k, GeneratedPredicted);

    double Selected(int k, double[][] score) => Enumerable.Range(0, Generated.Length).Average(s =>
        Enumerable.Range(0, Generated[s].Length).OrderByDescending(i => score[s][i]).ThenBy(i => i).Take(k).Average(i => Generated[s][i]));
}

/// <summary>One task at another support size: generated samples (mean; and refined on the support set), and the
/// prototype head and probe of that same support set.</summary>
public sealed record ShotResult(int PerClass, double Generated, double? Refined, double Prototype, double Probe);

/// <summary>A report column over a group's tasks: the mean over tasks and the 95% interval of that mean.</summary>
public sealed record Summary(double Mean, double Ci95)
{
    public static Summary? Of(IReadOnlyList<double>? perTask) => perTask == null || perTask.Count == 0 ? null : new(Statistics.Mean(perTask), Statistics.Ci95(perTask));
}

/// <summary>A group of tasks (seen, unseen combinations, cross-domain): each column's mean over tasks with its 95% interval.</summary>
public sealed record GroupSummary(string Group, int Tasks, Summary Generated, Summary GeneratedStd, Summary SelectedTop, Summary? PredictorTop, Summary? Refined,
                                  Summary Prototype, Summary Probe, Summary Nearest, Summary? Zoo, Summary MeanOfZoo, Summary Random,
                                  IReadOnlyDictionary<string, Summary[]> FineTune, IReadOnlyList<ShotSummary> Shots);

/// <summary>A group's results at another support size, each column's mean over tasks with its 95% interval.</summary>
public sealed record ShotSummary(int PerClass, Summary Generated, Summary? Refined, Summary Prototype, Summary Probe);

/// <summary>
/// The evaluation protocol of a run. For seen tasks, unseen class combinations and cross-domain tasks: generated weights
/// from eval.conditionSets support sets x sampling.samples samples (mean, spread, and top-k picked by support accuracy,
/// never by test labels), next to what the same support set gives without the generator (the prototype head, a linear
/// probe, retrieval of the nearest seen task's models), the zoo's own models, the mean of the zoo and random
/// initialisations; fine-tuning curves from each start.
/// </summary>
public sealed class DemoReport
{
    public const string SeenGroup = "seen", UnseenGroup = "unseen combos", CrossGroup = "cross-domain";
    public const string GeneratedStart = "generated", RandomStart = "random", PrototypeStart = "prototype", NearestStart = "nearest", ZooMeanStart = "zoo mean";

    public required IReadOnlyList<TaskResult> Tasks { get; init; }
    public required string Architecture { get; init; }
    public required string Layout { get; init; }
    /// <summary>condition.kind of the run, e.g. "dataset" or "task-id + text".</summary>
    public string Condition { get; init; } = ConditionConfig.DatasetKind;
    /// <summary>How the samples were drawn (<see cref="SamplingConfig.Describe"/>).</summary>
    public string Sampling { get; init; } = "";
    public required int ZooModels { get; init; }
    public required int Samples { get; init; }
    public required int ConditionSets { get; init; }
    public required int SupportPerClass { get; init; }
    public required int SelectTop { get; init; }
    public required int SupportSteps { get; init; }
    public required int[] FineTuneEpochs { get; init; }
    public required string Domain { get; init; }
    public required string CrossDomain { get; init; }
    public string Device { get; init; } = Backends.Backend.DefaultDescription;
    public TimeSpan Elapsed { get; set; }

    public IReadOnlyList<GroupSummary> Groups() => Tasks.GroupBy(t => t.Group).Select(g =>
    {
        var t = g.ToArray();
        Summary S(Func<TaskResult, double> f) => Summary.Of(t.Select(f).ToArray())!;
        var starts = t.SelectMany(r => r.FineTune.Keys).Distinct().ToArray();
        var fineTune = starts.Where(s => t.All(r => r.FineTune.ContainsKey(s))).ToDictionary(s => s,
            s => Enumerable.Range(0, FineTuneEpochs.Length + 1).Select(e => S(r => r.FineTune[s][e])).ToArray());
        return new GroupSummary(g.Key, t.Length, S(r => r.GeneratedMean), S(r => r.GeneratedStd), S(r => r.SelectedTop(SelectTop)),
            t.All(r => r.GeneratedPredicted != null) ? S(r => r.PredictorTop(SelectTop)!.Value) : null,
            t.All(r => r.Refined != null) ? S(r => r.RefinedMean!.Value) : null,
            S(r => r.Prototype.Average()), S(r => r.Probe.Average()), S(r => r.Nearest.Average()),
            t.All(r => r.Zoo != null) ? S(r => r.Zoo!.Average()) : null, S(r => r.MeanOfZoo), S(r => r.Random.Average()), fineTune,
            t[0].Shots.Select((shot, i) => new ShotSummary(shot.PerClass, S(r => r.Shots[i].Generated), t.All(r => r.Shots[i].Refined != null) ? S(r => r.Shots[i].Refined!.Value) : null,
                                                          S(r => r.Shots[i].Prototype), S(r => r.Shots[i].Probe))).ToArray());
    }).ToArray();

    /// <summary>Evaluates every task of the run (the first eval.seenTasks seen tasks, all unseen and cross-domain ones).</summary>
    public static DemoReport Evaluate(PipelineConfig config, RunFolder run, RunData data, WeightGenerator generator, ZooVectors zoo,
                                      IProgress<string>? progress = null, CancellationToken cancel = default)
    {
        var splits = ZooStage.Tasks(config, run);
        var eval = config.Eval;
        int k = config.Sampling.SupportPerClass;
        var seenIndex = zoo.Tasks.Select((t, i) => (t.Id, i)).ToDictionary(p => p.Id, p => p.i);
        // Each seen task's support descriptor (its class prototypes in output order), averaged over support draws: what
        // nearest-task retrieval searches. It needs no trained network, so retrieval is the same in every layout.
        var indexGenerator = new Generator((ulong)config.Sampling.Seed + 7);
        var seenDescriptors = zoo.Tasks.Select(t =>
        {
            var rows = data.For(t).Train;
            var sum = new double[rows.ClassCount * rows.FeatureLength];
            for (int d = 0; d < config.Training.ConditionDraws; d++)
            {
                var descriptor = Descriptor(rows.Select(rows.SupportIndices(k, indexGenerator)));
                for (int i = 0; i < sum.Length; i++) sum[i] += descriptor[i] / config.Training.ConditionDraws;
            }
            return sum;
        }).ToArray();
        // The accuracy predictor, when the run has one, ranks every generated sample as a second label-free selection.
        var space = config.Model.Predictor == null ? null : PredictorSpace.Of(config, zoo);
        using var predictor = space == null ? null : PredictorStage.Load(config, run, space);

        var groups = new (string Name, IEnumerable<TaskSpec> Tasks)[]
        {
            (SeenGroup, splits.Seen.Take(eval.SeenTasks)), (UnseenGroup, splits.Unseen), (CrossGroup, splits.CrossDomain),
        };
        var results = new List<TaskResult>();
        var architectures = generator.Architectures;
        bool mixed = architectures.Count > 1;
        int total = groups.Sum(g => g.Tasks.Count()) * architectures.Count, done = 0;
        // A mixed-architecture zoo is evaluated architecture by architecture, each against its own zoo models, in groups
        // named "seen · two-layer-head" and so on.
        for (int a = 0; a < architectures.Count; a++)
        {
            var architecture = architectures[a];
            var ownZoo = zoo.OfArchitecture(a);
            var modelsByTask = ownZoo.ModelsByTask();
            var meanOfZoo = MeanOf(ownZoo.Models);
            // A linear head over the backbone features can also start from the prototype head and be refined on its support set.
            var head = LinearHeadNames(architecture);
            var randomInits = Enumerable.Range(0, eval.RandomInits).Select(s => Evaluation.RandomWeights(architecture, (ulong)(1000 + s))).ToArray();
            foreach (var (groupName, tasks) in groups)
                foreach (var task in tasks)
                {
                    string group = mixed ? $"{groupName} · {architecture.Name}" : groupName;
                    cancel.ThrowIfCancellationRequested();
                    // Support sets and conditions come from backbone features; networks are scored and fine-tuned on the rows they take.
                    var (trainFeatures, testFeatures) = data.For(task);
                    var (train, test) = data.InputsFor(task, architecture);
                    int sets = eval.ConditionSets;
                    var generated = new double[sets][];
                    var generatedSupport = new double[sets][];
                    var generatedPredicted = predictor == null ? null : new double[sets][];
                    var refined = head == null || eval.SupportSteps == 0 ? null : new double[sets][];
                    var prototype = new double[sets];
                    var probe = new double[sets];
                    var nearest = new double[sets];
                    var nearestTask = new string[sets];
                    Dictionary<string, float[]>? selected = null;
                    FeatureSet? firstSupport = null;
                    int nearestOfFirstSet = 0;
                    for (int s = 0; s < sets; s++)
                    {
                        var g = new Generator((ulong)config.Sampling.Seed * 1_000_003 + (ulong)results.Count * 1_009 + (ulong)s);
                        var rows = trainFeatures.SupportIndices(k, g);
                        FeatureSet support = trainFeatures.Select(rows), supportInputs = train.Select(rows);
                        var samples = generator.Generate(new ConditionInput(task, support, k, NullTaskWhenUnknown: true), config.Sampling.Samples, g, cancel, architecture: a);
                        generated[s] = samples.Select(w => Evaluation.Accuracy(architecture, w, test)).ToArray();
                        generatedSupport[s] = samples.Select(w => Evaluation.Accuracy(architecture, w, supportInputs)).ToArray();
                        if (generatedPredicted != null) generatedPredicted[s] = PredictorStage.Predict(predictor!, space!, samples);
                        if (refined != null)
                            refined[s] = samples.Select(w => FewShotHeads.Refine(new LinearHead(w[head!.Value.Weight], w[head.Value.Bias]), support, eval.SupportSteps, eval.SupportLearningRate)
                                                                       .Accuracy(testFeatures)).ToArray();
                        prototype[s] = FewShotHeads.Prototype(support).Accuracy(testFeatures);
                        probe[s] = FewShotHeads.Probe(support).Accuracy(testFeatures);
                        var descriptor = Descriptor(support);
                        int near = Enumerable.Range(0, seenDescriptors.Length).MinBy(t => SquaredDistance(seenDescriptors[t], descriptor));
                        nearest[s] = modelsByTask[near].Average(m => Evaluation.Accuracy(architecture, ownZoo.Models[m], test));
                        nearestTask[s] = zoo.Tasks[near].Id;
                        if (s == 0)
                        {
                            int best = Enumerable.Range(0, samples.Count).OrderByDescending(i => generatedSupport[0][i]).ThenBy(i => i).First();
                            selected = samples[best];
                            firstSupport = support;
                            nearestOfFirstSet = near;
                        }
                    }
                    double[]? own = !seenIndex.TryGetValue(task.Id, out int seenRow) ? null
                        : modelsByTask[seenRow].Select(m => Evaluation.Accuracy(architecture, ownZoo.Models[m], test)).ToArray();
                    var random = randomInits.Select(w => Evaluation.Accuracy(architecture, w, test)).ToArray();

                    // Fine-tuning curves from the first support set's picks (selected without test labels).
                    var fineTune = new Dictionary<string, double[]>();
                    if (eval.FineTuneEpochs.Length > 0)
                    {
                        double[] Curve(IReadOnlyDictionary<string, float[]> w, ulong seed) => Evaluation.FineTuneCurve(architecture, w, train, test, eval.FineTuneEpochs, config.Zoo, seed);
                        fineTune[GeneratedStart] = Curve(selected!, 5);
                        fineTune[RandomStart] = Average(randomInits.Select((w, i) => Curve(w, 5 + (ulong)i)).ToArray());
                        if (head != null) fineTune[PrototypeStart] = Curve(FewShotHeads.Prototype(firstSupport!).ToTensors(head.Value.Weight, head.Value.Bias), 5);
                        fineTune[NearestStart] = Curve(ownZoo.Models[modelsByTask[nearestOfFirstSet][0]], 5);
                        fineTune[ZooMeanStart] = Curve(meanOfZoo, 5);
                    }
                    // Other support sizes: one support set each, the same generator, the same baselines.
                    var shots = eval.Shots.Select(shot =>
                    {
                        var g = new Generator((ulong)config.Sampling.Seed * 1_000_003 + (ulong)results.Count * 1_009 + 500 + (ulong)shot);
                        var rows = trainFeatures.SupportIndices(shot, g);
                        var support = trainFeatures.Select(rows);
                        var samples = generator.Generate(new ConditionInput(task, support, shot, NullTaskWhenUnknown: true), config.Sampling.Samples, g, cancel, architecture: a);
                        return new ShotResult(shot, samples.Average(w => Evaluation.Accuracy(architecture, w, test)),
                            refined == null ? null : samples.Average(w => FewShotHeads.Refine(new LinearHead(w[head!.Value.Weight], w[head.Value.Bias]), support, eval.SupportSteps, eval.SupportLearningRate).Accuracy(testFeatures)),
                            FewShotHeads.Prototype(support).Accuracy(testFeatures), FewShotHeads.Probe(support).Accuracy(testFeatures));
                    }).ToArray();
                    results.Add(new TaskResult(group, task.Id, task.ClassNames, generated, generatedSupport, generatedPredicted, refined, own, prototype, probe, nearest, nearestTask,
                                               Evaluation.Accuracy(architecture, meanOfZoo, test), random, fineTune, shots));
                    progress?.Report($"evaluated {++done}/{total}: {task.Id}" + (mixed ? $" ({architecture.Name})" : ""));
                }
        }
        return new DemoReport
        {
            Tasks = results, Architecture = string.Join(" + ", architectures.Select(a => a.Name)), Layout = config.Vectors.Layout, Condition = config.Condition.Describe(), Sampling = config.Sampling.Describe(),
            ZooModels = zoo.Models.Count,
            Samples = config.Sampling.Samples, ConditionSets = eval.ConditionSets, SupportPerClass = k, SelectTop = eval.SelectTop,
            SupportSteps = architectures.Any(a => LinearHeadNames(a) != null) ? eval.SupportSteps : 0,
            FineTuneEpochs = eval.FineTuneEpochs, Domain = config.Tasks.Domain, CrossDomain = config.Tasks.CrossDomain,
        };
    }

    /// <summary>Names of (weight, bias) when the architecture is one Linear layer over the backbone features; else null.</summary>
    static (string Weight, string Bias)? LinearHeadNames(TargetArchitecture architecture)
    {
        if (RunData.TakesPixels(architecture)) return null;
        try
        {
            var (weight, bias) = ClassRows.HeadTensors(architecture);
            return (weight.Name, bias.Name);
        }
        catch (ArgumentException) { return null; }
    }

    /// <summary>A support set's class prototypes (class means) in output order, concatenated.</summary>
    static double[] Descriptor(FeatureSet support)
    {
        var means = FewShotHeads.ClassMeans(support);
        return Enumerable.Range(0, means.Length).Select(i => means[i / means.GetLength(1), i % means.GetLength(1)]).ToArray();
    }

    static double SquaredDistance(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += (a[i] - b[i]) * (a[i] - b[i]);
        return sum;
    }

    static Dictionary<string, float[]> MeanOf(IReadOnlyList<IReadOnlyDictionary<string, float[]>> models) => models[0].Keys.ToDictionary(name => name, name =>
    {
        var mean = new double[models[0][name].Length];
        foreach (var m in models)
            for (int i = 0; i < mean.Length; i++) mean[i] += m[name][i];
        return mean.Select(v => (float)(v / models.Count)).ToArray();
    });

    static double[] Average(double[][] curves) => Enumerable.Range(0, curves[0].Length).Select(e => curves.Average(c => c[e])).ToArray();

    static string P(double? v) => v == null ? "–" : (100 * v.Value).ToString("F1", CultureInfo.InvariantCulture);
    static string P(Summary? s) => s == null ? "–" : P(s.Mean);
    static string Ci(Summary? s) => s == null ? "" : "±" + (100 * s.Ci95).ToString("F1", CultureInfo.InvariantCulture);
    static string Both(Summary? s) => s == null ? "–" : $"{P(s)} {Ci(s)}";

    string GroupName(string group) => group.StartsWith(CrossGroup, StringComparison.Ordinal) ? CrossDomain + group[CrossGroup.Length..] : group;

    /// <summary>The terminal table's value columns, short enough for 80 columns (report.md explains each). With an
    /// accuracy predictor, "pred" (its top-k) joins and the zoo-mean column leaves (it is in report.md).</summary>
    IEnumerable<(string Name, Func<GroupSummary, Summary?> Value, bool Interval)> TerminalColumns()
    {
        yield return ("gen", g => g.Generated, true);
        yield return ("sd", g => g.GeneratedStd, false);
        yield return ($"top{SelectTop}", g => g.SelectedTop, true);
        if (HasPredictor) yield return ($"pred{SelectTop}", g => g.PredictorTop, true);
        yield return ("+sup", g => g.Refined, true);
        yield return ("proto", g => g.Prototype, true);
        yield return ("probe", g => g.Probe, true);
        yield return ("near", g => g.Nearest, true);
        yield return ("zoo", g => g.Zoo, true);
        if (!HasPredictor) yield return ("mean", g => g.MeanOfZoo, true);
        yield return ("rand", g => g.Random, true);
    }

    public string[] Columns => ["tasks", .. TerminalColumns().Select(c => c.Name)];

    public bool HasPredictor => Tasks.Count > 0 && Tasks.All(t => t.GeneratedPredicted != null);

    /// <summary>Per group two rows: the means over tasks, then the half-widths of their 95% intervals.</summary>
    public IEnumerable<string[]> Rows() => Groups().SelectMany(g => new[]
    {
        new[] { $"{GroupName(g.Group)} ({g.Tasks})" }.Concat(TerminalColumns().Select(c => P(c.Value(g)))).ToArray(),
        new[] { "  95% CI" }.Concat(TerminalColumns().Select(c => c.Interval ? Ci(c.Value(g)) : "")).ToArray(),
    });

    /// <summary>Fine-tuning columns: the start, then accuracy after 0 and each configured epoch count.</summary>
    public string[] FineTuneColumns => ["tasks", "start", .. new[] { 0 }.Concat(FineTuneEpochs).Select(e => $"ep {e}")];

    public IEnumerable<string[]> FineTuneRows() => Groups().SelectMany(g => g.FineTune.Select(kv =>
        new[] { GroupName(g.Group), kv.Key }.Concat(kv.Value.Select(P)).ToArray()));

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine("# D2NWG run report").AppendLine();
        md.AppendLine($"Zoo: {ZooModels} `{Architecture}` checkpoints on {Domain} class-subset tasks; vectors: `{Layout}`. Per task, {ConditionSets} support sets of " +
                      $"{SupportPerClass} examples per class each condition {Samples} generated samples; every baseline sees the same support sets. " +
                      $"Test accuracy in %: the mean over tasks, with the 95% confidence interval of that mean (t over tasks). Time: {Elapsed.TotalSeconds:F0} s on {Device}.").AppendLine();
        if (Sampling.Length > 0) md.AppendLine($"Sampling: {Sampling}.").AppendLine();
        if (Condition != ConditionConfig.DatasetKind)
            md.AppendLine($"Generation is conditioned on `{Condition}` (condition.kind); tasks a task-id run never saw get the null task (its unconditional samples). " +
                          "The support sets still condition the baselines.").AppendLine();
        md.AppendLine("Columns:");
        md.AppendLine("- **gen**: mean over all generated samples; **sd**: their standard deviation within a task, averaged over tasks;");
        md.AppendLine($"- **top{SelectTop}**: per support set, the {SelectTop} samples that classify that support set best (no test labels), averaged;");
        if (HasPredictor)
            md.AppendLine($"- **pred{SelectTop}**: per support set, the {SelectTop} samples the accuracy predictor ranks highest (trained on the zoo's training-row accuracies; no test labels), averaged;");
        md.AppendLine($"- **+sup**: every generated sample after {SupportSteps} full-batch gradient steps on its own support set (linear heads only);");
        md.AppendLine("- **proto**: the prototype head (class means of the support set; nearest-class-mean classifier);");
        md.AppendLine("- **probe**: logistic regression fitted on the support set only;");
        md.AppendLine("- **near**: the zoo models of the seen task whose support prototypes are nearest to this support set's;");
        md.AppendLine("- **zoo**: the zoo's own checkpoints for the task (seen tasks only); **mean**: the average of all zoo weights; **rand**: PyTorch-default initialisation.").AppendLine();
        string pred = HasPredictor ? $" pred{SelectTop} |" : "";
        md.AppendLine($"| tasks | n | gen | sd | top{SelectTop} |{pred} +sup | proto | probe | near | zoo | mean | rand |");
        md.AppendLine("|---|---:|---:|---:|---:|" + (HasPredictor ? "---:|" : "") + "---:|---:|---:|---:|---:|---:|---:|");
        foreach (var g in Groups())
            md.AppendLine($"| {GroupName(g.Group)} | {g.Tasks} | {Both(g.Generated)} | {P(g.GeneratedStd)} | {Both(g.SelectedTop)} |{(HasPredictor ? $" {Both(g.PredictorTop)} |" : "")} {Both(g.Refined)} | {Both(g.Prototype)} | " +
                          $"{Both(g.Probe)} | {Both(g.Nearest)} | {Both(g.Zoo)} | {Both(g.MeanOfZoo)} | {Both(g.Random)} |");
        if (FineTuneEpochs.Length > 0)
        {
            md.AppendLine().AppendLine("## Fine-tuning").AppendLine();
            md.AppendLine($"Test accuracy (%) after fine-tuning on the task's training rows with the zoo's optimiser, from: the generated sample that classifies the first support set best; " +
                          "random initialisation (mean over the inits); the prototype head of that support set (linear heads); the first zoo model of the nearest seen task; the zoo mean. Mean over tasks ± 95% CI.").AppendLine();
            md.AppendLine("| " + string.Join(" | ", FineTuneColumns) + " |");
            md.AppendLine("|---|---|" + string.Concat(Enumerable.Repeat("---:|", FineTuneEpochs.Length + 1)));
            foreach (var g in Groups())
                foreach (var (start, curve) in g.FineTune)
                    md.AppendLine($"| {GroupName(g.Group)} | {start} | {string.Join(" | ", curve.Select(Both))} |");
        }
        if (Tasks.Count > 0 && Tasks[0].Shots.Count > 0)
        {
            md.AppendLine().AppendLine("## Other support sizes").AppendLine();
            md.AppendLine($"The same trained models conditioned on one support set per task of K examples per class ({Samples} samples each); the baselines see the same K x C rows. Mean over tasks ± 95% CI.").AppendLine();
            md.AppendLine("| tasks | K | gen | +sup | proto | probe |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|");
            foreach (var g in Groups())
                foreach (var shot in g.Shots)
                    md.AppendLine($"| {GroupName(g.Group)} | {shot.PerClass} | {Both(shot.Generated)} | {Both(shot.Refined)} | {Both(shot.Prototype)} | {Both(shot.Probe)} |");
        }
        md.AppendLine().AppendLine("## Per task").AppendLine();
        md.AppendLine($"| group | task | classes | gen mean ± sd | top{SelectTop} | +sup | proto | probe | near (task of set 1) | zoo | rand |");
        md.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|");
        foreach (var t in Tasks)
            md.AppendLine($"| {t.Group} | `{t.Task}` | {string.Join(", ", t.ClassNames)} | {P(t.GeneratedMean)} ± {P(t.GeneratedStd)} | {P(t.SelectedTop(SelectTop))} | {P(t.RefinedMean)} | " +
                          $"{P(t.Prototype.Average())} | {P(t.Probe.Average())} | {P(t.Nearest.Average())} (`{t.NearestTask[0]}`) | {P(t.Zoo?.Average())} | {P(t.Random.Average())} |");
        return md.ToString();
    }

    public void Save(RunFolder run)
    {
        AtomicFile.Write(run.ReportMarkdown, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(ToMarkdown()); });
        AtomicFile.Write(run.ReportJson, s => JsonSerializer.Serialize(s, new
        {
            Architecture, Layout, Condition, ZooModels, Samples, ConditionSets, SupportPerClass, SelectTop, SupportSteps, FineTuneEpochs, Domain, CrossDomain, Device,
            ElapsedSeconds = Elapsed.TotalSeconds, Groups = Groups(), Tasks,
        }, ModelConfig.JsonOptions));
    }
}

using System.Text.Json;
using RawDiffusion.Pipeline;
using RawDiffusion.Tasks;
using RawDiffusion.Zoo;

namespace RawDiffusion.Tests.Pipeline;

/// <summary>What each stage of the shared tiny run left in its folder.</summary>
public class PipelineStageTests
{
    static TinyRun Run => TinyRun.Shared;

    [Fact]
    public void EveryStageWroteItsFiles()
    {
        var run = Run.Folder;
        foreach (var path in new[] { run.Config, run.Backbone, run.Tasks, Path.Combine(run.Zoo, ZooManifest.FileName), run.Layout, run.Normalization,
                                     run.ReportMarkdown, run.ReportJson })
            Assert.True(File.Exists(path), $"{path} is missing");
        foreach (var stage in new[] { VaeStage.Name, EncoderStage.Name, DiffusionStage.Name })
        {
            Assert.True(File.Exists(run.StageModel(stage)), $"{stage} model missing");
            Assert.True(File.Exists(run.StageCheckpoint(stage)), $"{stage} checkpoint missing");
            Assert.True(File.Exists(run.StageMetrics(stage)), $"{stage} metrics missing");
        }
        Assert.Empty(Directory.GetFiles(run.Root, "*.tmp", SearchOption.AllDirectories));
        Assert.Equal(Run.Config.ToJson(), PipelineConfig.Load(run.Config).ToJson());
    }

    [Fact]
    public void TasksJsonHoldsTheThreeSplits()
    {
        var splits = TaskSplits.Load(Run.Folder.Tasks);
        Assert.Equal(6, splits.Seen.Count);
        Assert.Equal(2, splits.Unseen.Count);
        Assert.Equal(2, splits.CrossDomain.Count);
        Assert.All(splits.Seen.Concat(splits.Unseen).Concat(splits.CrossDomain), t => Assert.Equal(3, t.Classes.Length));
        var seenSets = splits.Seen.Select(t => string.Join(",", t.Classes.Order())).ToHashSet();
        Assert.All(splits.Unseen, t => Assert.DoesNotContain(string.Join(",", t.Classes.Order()), seenSets));
        Assert.All(splits.CrossDomain, t => Assert.Equal(Domains.MnistDigits, t.Domain));
    }

    [Fact]
    public void ZooJsonListsSixTasksTimesTwoSeeds()
    {
        var manifest = ZooManifest.Load(Run.Folder.Zoo);
        var seen = TaskSplits.Load(Run.Folder.Tasks).Seen;
        Assert.Equal(seen.Select(t => t.Id), manifest.Tasks.Select(t => t.Id));
        Assert.Equal(12, manifest.Checkpoints.Count);
        foreach (var task in seen)
        {
            var entries = manifest.EntriesFor(task.Id);
            Assert.Equal([0, 1], entries.Select(e => e.Seed).Order());
            Assert.All(entries, e => Assert.Equal(2, e.Epoch));
            Assert.All(entries, e => Assert.True(File.Exists(ZooManifest.PathOf(Run.Folder.Zoo, e))));
        }
        Assert.Equal(16, manifest.Architecture.Inputs);
        Assert.Equal(3, manifest.Architecture.Classes);
        Assert.Equal(51, manifest.Architecture.ParameterCount);
    }

    [Fact]
    public void ZooVectorsAreZScoredOverTheZoo()
    {
        var vectors = ZooVectors.Load(Run.Config, Run.Folder);
        Assert.Equal(12, vectors.Count);
        Assert.Equal(51, vectors.Length);
        for (int i = 0; i < vectors.Length; i++)
        {
            double mean = Enumerable.Range(0, vectors.Count).Average(r => vectors.Normalized[r * vectors.Length + i]);
            Assert.True(Math.Abs(mean) < 1e-4, $"column {i} has mean {mean}");
        }
        Assert.All(vectors.RowsByTask(), rows => Assert.Equal(2, rows.Length));
    }

    [Theory]
    [InlineData(VaeStage.Name, 30, "step,loss,reconstruction,kl")]
    [InlineData(EncoderStage.Name, 20, "step,loss")]
    [InlineData(DiffusionStage.Name, 30, "step,loss")]
    public void MetricsCsvHasOneRowPerStep(string stage, int steps, string header)
    {
        var all = File.ReadAllLines(Run.Folder.StageMetrics(stage));
        // The first line names the device the stage trained on; the rows follow the header.
        Assert.Equal($"# device: {RawDiffusion.Backends.Backend.DefaultDescription}", all[0]);
        var lines = all[1..];
        Assert.Equal(header, lines[0]);
        Assert.Equal(steps + 1, lines.Length);
        for (int s = 0; s < steps; s++)
        {
            var cells = lines[s + 1].Split(',');
            Assert.Equal(s.ToString(), cells[0]);
            Assert.All(cells[1..], c => Assert.True(double.IsFinite(double.Parse(c, System.Globalization.CultureInfo.InvariantCulture)), $"{stage} step {s}: {c}"));
        }
    }

    [Fact]
    public void StageCheckpointsAreAtTheLastStep()
    {
        foreach (var (stage, steps) in new[] { (VaeStage.Name, 30), (EncoderStage.Name, 20), (DiffusionStage.Name, 30) })
        {
            using var file = RawDiffusion.IO.SafeTensorsFile.Open(Run.Folder.StageCheckpoint(stage));
            Assert.Equal(steps.ToString(), file.Metadata[RawDiffusion.Training.Checkpoint.StepKey]);
        }
    }

    [Fact]
    public void GeneratedWeightsLoadAndScoreBetweenZeroAndOne()
    {
        using var data = RunData.Prepare(Run.Config, Run.Folder, null);
        using var generator = new WeightGenerator(Run.Config, Run.Folder);
        var task = TaskSplits.Load(Run.Folder.Tasks).Unseen[0];
        var (train, test) = data.For(task);
        var g = new Generator(5);
        var samples = generator.Generate(train.Select(train.SupportIndices(5, g)), 5, 3, g);
        Assert.Equal(3, samples.Count);
        foreach (var weights in samples)
        {
            Assert.Equal(generator.Architecture.Tensors.Select(t => t.Name).Order(), weights.Keys.Order());
            Assert.All(weights.Values, w => Assert.All(w, x => Assert.True(float.IsFinite(x))));
            double accuracy = Evaluation.Accuracy(generator.Architecture, weights, test);
            Assert.InRange(accuracy, 0, 1);
        }
        string first = generator.Architecture.Tensors[0].Name;
        Assert.NotEqual(samples[0][first], samples[1][first]);
    }

    [Fact]
    public void ReportHasTheThreeGroups()
    {
        var groups = Run.Report.Groups();
        Assert.Equal([DemoReport.SeenGroup, DemoReport.UnseenGroup, DemoReport.CrossGroup], groups.Select(g => g.Group));
        Assert.Equal([2, 2, 2], groups.Select(g => g.Tasks));
        var eval = Run.Config.Eval;
        foreach (var t in Run.Report.Tasks)
        {
            Assert.Equal(eval.ConditionSets, t.Generated.Length);
            Assert.All(t.Generated, set => Assert.Equal(Run.Config.Sampling.Samples, set.Length));
            Assert.All(t.Generated.SelectMany(s => s).Concat(t.GeneratedSupport.SelectMany(s => s)), a => Assert.InRange(a, 0, 1));
            Assert.NotNull(t.Refined);
            Assert.All(t.Prototype.Concat(t.Probe).Concat(t.Nearest).Concat(t.Random), a => Assert.InRange(a, 0, 1));
            Assert.Equal(eval.RandomInits, t.Random.Length);
            Assert.Equal(t.Group == DemoReport.SeenGroup, t.Zoo != null);
            Assert.Equal([DemoReport.GeneratedStart, DemoReport.RandomStart, DemoReport.PrototypeStart, DemoReport.NearestStart, DemoReport.ZooMeanStart], t.FineTune.Keys);
            Assert.All(t.FineTune.Values, curve => Assert.Equal(eval.FineTuneEpochs.Length + 1, curve.Length));
            Assert.Equal(eval.Shots, t.Shots.Select(k => k.PerClass));
            Assert.All(t.Shots, k => Assert.InRange(k.Generated, 0, 1));
            // Top-k by support accuracy lies between the worst and the best sample of the task.
            var all = t.Generated.SelectMany(s => s).ToArray();
            Assert.InRange(t.SelectedTop(eval.SelectTop), all.Min() - 1e-12, all.Max() + 1e-12);
        }

        string markdown = File.ReadAllText(Run.Folder.ReportMarkdown);
        Assert.Contains("| seen |", markdown);
        Assert.Contains("| unseen combos |", markdown);
        Assert.Contains("| mnist-digits |", markdown);

        using var json = JsonDocument.Parse(File.ReadAllText(Run.Folder.ReportJson));
        var jsonGroups = json.RootElement.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("group").GetString()).ToArray();
        Assert.Equal([DemoReport.SeenGroup, DemoReport.UnseenGroup, DemoReport.CrossGroup], jsonGroups);
        Assert.Equal(12, json.RootElement.GetProperty("zooModels").GetInt32());
        Assert.Equal(6, json.RootElement.GetProperty("tasks").GetArrayLength());
    }
}

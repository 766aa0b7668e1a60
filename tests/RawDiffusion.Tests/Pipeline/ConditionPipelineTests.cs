using RawDiffusion.Pipeline;
using RawDiffusion.Tasks;

namespace RawDiffusion.Tests.Pipeline;

/// <summary>Each condition kind end to end on the tiny pipeline (<see cref="ConditionRun"/>; "dataset" is
/// <see cref="TinyRun.Shared"/>): trained, generating heads for seen tasks, evaluated by the report, and refusing what
/// the run was not trained with. Interpolation endpoints are direct generation.</summary>
public sealed class ConditionPipelineTests
{
    static ConditionRun Run(string kind) => kind switch
    {
        "task-id" => ConditionRun.TaskId,
        "text" => ConditionRun.Text,
        _ => ConditionRun.Embeddings,
    };

    static void AssertHeads(WeightGenerator generator, IReadOnlyList<Dictionary<string, float[]>> samples, int count)
    {
        Assert.Equal(count, samples.Count);
        foreach (var w in samples)
        {
            Assert.Equal(generator.Architecture.Tensors.Select(t => t.Name), w.Keys);
            Assert.All(w.Values.SelectMany(v => v), x => Assert.True(float.IsFinite(x)));
        }
    }

    [Theory]
    [InlineData("task-id")]
    [InlineData("text")]
    [InlineData("embeddings")]
    public void TrainsWithoutAnEncoderAndTheReportEvaluatesEveryGroup(string kind)
    {
        var run = Run(kind);
        Assert.Equal([VaeStage.Name, DiffusionStage.Name], PipelineRun.Stages(run.Config));
        Assert.True(File.Exists(run.Folder.StageModel(DiffusionStage.Name)));
        Assert.Equal(run.Config.Condition.Describe(), run.Report.Condition);
        Assert.Equal(["seen", "unseen combos", "cross-domain"], run.Report.Groups().Select(g => g.Group));
        Assert.All(run.Report.Tasks.SelectMany(t => t.Generated.SelectMany(s => s)), a => Assert.InRange(a, 0, 1));
        Assert.Contains(run.Config.Condition.Describe(), run.Report.ToMarkdown());
    }

    [Fact]
    public void TaskIdRunGeneratesForSeenTasksAndRefusesUnknownOnesAndText()
    {
        var run = ConditionRun.TaskId;
        using var generator = new WeightGenerator(run.Config, run.Folder);
        var splits = TaskSplits.Load(run.Folder.Tasks);
        AssertHeads(generator, generator.Generate(new ConditionInput(splits.Seen[3]), 3, new Generator(1)), 3);
        var unknown = Assert.Throws<ArgumentException>(() => generator.Generate(new ConditionInput(splits.Unseen[0]), 1, new Generator(1)));
        Assert.Contains($"task {splits.Unseen[0].Id} is unknown to this task-id run", unknown.Message);
        Assert.Contains("without a text condition", Assert.Throws<ArgumentException>(() => generator.Generate(new ConditionInput(splits.Seen[0], Text: "output 0: Bag"), 1, new Generator(1))).Message);
        // The report conditions unseen tasks on the null task: that is the same as conditioning on nothing.
        var nullTask = generator.Conditioner.For(new ConditionInput(splits.Unseen[0], NullTaskWhenUnknown: true), 3);
        Assert.Equal(1f, nullTask.TaskWeights![^1]);
        Assert.Equal(6, nullTask.TaskIndex);
    }

    [Fact]
    public void TextRunConditionsOnTheDescriptionInClassOrder()
    {
        var run = ConditionRun.Text;
        using var generator = new WeightGenerator(run.Config, run.Folder);
        var task = TaskSplits.Load(run.Folder.Tasks).Seen[0];
        var swapped = TaskSpec.Create(task.Domain, [task.Classes[1], task.Classes[0], task.Classes[2]], RawDiffusion.Data.Datasets.ClassNamesByDomain[task.Domain]);
        var byTask = generator.Conditioner.For(new ConditionInput(task), 3);
        Assert.Equal(new HashedTextEncoder(32).Encode(HashedTextEncoder.Describe(task)), byTask.Vector);
        Assert.Equal(byTask.Vector, generator.Conditioner.For(new ConditionInput(Text: HashedTextEncoder.Describe(task)), 3).Vector);
        Assert.NotEqual(byTask.Vector, generator.Conditioner.For(new ConditionInput(swapped), 3).Vector);
        // Any description works, also for a task the run never saw.
        AssertHeads(generator, generator.Generate(new ConditionInput(Text: "output 0: Bag; output 1: Sneaker; output 2: Coat"), 2, new Generator(2)), 2);
        Assert.Contains("hashed encoder", Assert.Throws<ArgumentException>(() => generator.Generate(new ConditionInput(task, TextEmbedding: new float[32]), 1, new Generator(1))).Message);
        Assert.Contains("give a task", Assert.Throws<ArgumentException>(() => generator.Generate(new ConditionInput(), 1, new Generator(1))).Message);
    }

    [Fact]
    public void EmbeddingRunTakesTheTasksRowOrAnExplicitEmbedding()
    {
        var run = ConditionRun.Embeddings;
        using var generator = new WeightGenerator(run.Config, run.Folder);
        var task = TaskSplits.Load(run.Folder.Tasks).Seen[2];
        var file = TextEmbeddingFile.Load(run.Config.Condition.Text.Embeddings!, run.Config.Condition.Text.Tasks!);
        var byRow = generator.Generate(new ConditionInput(task), 2, new Generator(4));
        var explicitRow = generator.Generate(new ConditionInput(task, TextEmbedding: file.For(task.Id)), 2, new Generator(4));
        AssertHeads(generator, byRow, 2);
        for (int s = 0; s < 2; s++)
            foreach (var name in byRow[s].Keys) Assert.Equal(byRow[s][name], explicitRow[s][name]);
        Assert.Contains("cannot encode new text", Assert.Throws<ArgumentException>(() => generator.Generate(new ConditionInput(task, Text: "output 0: Bag"), 1, new Generator(1))).Message);
        var other = TaskSpec.Create("fashion-mnist", [9, 8, 7], RawDiffusion.Data.Datasets.FashionMnistClassNames);
        Assert.Contains("has no row in", Assert.Throws<ArgumentException>(() => generator.Conditioner.For(new ConditionInput(other, NullTaskWhenUnknown: true), 3)).Message);
    }

    public static TheoryData<string> Kinds => ["dataset", "task-id", "text", "embeddings"];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void InterpolationEndpointsAreDirectGeneration(string kind)
    {
        var (config, folder) = kind == "dataset" ? (TinyRun.Shared.Config, TinyRun.Shared.Folder) : (Run(kind).Config, Run(kind).Folder);
        using var data = RunData.Prepare(config, folder, null);
        using var generator = new WeightGenerator(config, folder);
        var seen = TaskSplits.Load(folder.Tasks).Seen;
        var (from, to) = (seen[0], seen[1]);
        const ulong seed = 7;
        int k = config.Sampling.SupportPerClass;
        IReadOnlyList<Dictionary<string, float[]>> Direct(TaskSpec task, ulong supportSeed)
        {
            var train = data.For(task).Train;
            var support = train.Select(train.SupportIndices(k, new Generator(supportSeed)));
            return generator.Generate(new ConditionInput(task, support, k), 2, Interpolation.Noise(seed));
        }
        var a = Interpolation.PointOf(generator, data, from, seed);
        var b = Interpolation.PointOf(generator, data, to, seed + 1);
        foreach (var (t, direct) in new[] { (0.0, Direct(from, seed)), (1.0, Direct(to, seed + 1)) })
        {
            var path = Interpolation.Weights(generator, a, b, t, 2, seed);
            for (int s = 0; s < 2; s++)
                foreach (var name in direct[s].Keys) Assert.Equal(direct[s][name], path[s][name]);
        }
        var mid = Interpolation.Weights(generator, a, b, 0.5, 2, seed);
        string first = generator.Architecture.Tensors[0].Name;
        Assert.NotEqual(Direct(from, seed)[0][first], mid[0][first]);

        var run = Interpolation.Run(generator, data, from, to, 2, 2, seed);
        Assert.Equal([0, 0.5, 1], run.Points.Select(p => p.T));
        var test = data.InputsFor(from, generator.Architecture).Test;
        Assert.Equal(Direct(from, seed).Select(w => Evaluation.Accuracy(generator.Architecture, w, test)), run.Points[0].OnFrom);
        Assert.All(run.Points.SelectMany(p => p.OnFrom.Concat(p.OnTo)), x => Assert.InRange(x, 0, 1));
    }
}

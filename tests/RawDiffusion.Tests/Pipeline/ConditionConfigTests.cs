using RawDiffusion.Pipeline;
using RawDiffusion.Tasks;

namespace RawDiffusion.Tests.Pipeline;

/// <summary>The "condition" section of a pipeline config: one kind or a list, and clear errors naming the field for
/// combinations that cannot work. The built-in text encoder: deterministic and sensitive to the class order.</summary>
public sealed class ConditionConfigTests
{
    static string Json(string condition, int classCount, int vectorLength) => ConditionRun.Json(condition, classCount, vectorLength);

    [Fact]
    public void KindIsAStringOrAListAndRoundTrips()
    {
        Assert.Equal(["dataset"], TinyPipeline.Config.Condition.Kind);
        Assert.True(TinyPipeline.Config.Condition.IsDefault);
        var one = PipelineConfig.Parse(Json("\"task-id\"", 6, 0));
        Assert.Equal(["task-id"], one.Condition.Kind);
        Assert.Contains("\"kind\": \"task-id\"", one.ToJson());
        var two = PipelineConfig.Parse(Json("[\"dataset\", \"text\"], \"text\": { \"hashLength\": 16 }", 0, 64 + 16));
        Assert.Equal(["dataset", "text"], two.Condition.Kind);
        Assert.Equal(two.ToJson(), PipelineConfig.Parse(two.ToJson()).ToJson());
        Assert.Equal(16, two.Condition.Text.HashLength);
    }

    [Theory]
    [InlineData("condition.kind: unknown condition \"words\"", "\"words\"", 0, 64)]
    [InlineData("condition.kind lists a condition twice", "[\"text\", \"text\"]", 0, 512)]
    [InlineData("condition.kind must name at least one", "[]", 0, 64)]
    [InlineData("condition.kind must be a string or an array of strings", "3", 0, 64)]
    [InlineData("condition.kind must be a string or an array of strings", "null", 0, 64)]
    [InlineData("condition.text must be an object", "\"text\", \"text\": null", 0, 512)]
    [InlineData("model.unet.classCount 0 must equal tasks.seen 6 with a task-id condition", "\"task-id\"", 0, 0)]
    [InlineData("model.unet.classCount 6 must be 0", "\"text\"", 6, 512)]
    [InlineData("model.unet.conditionVectorLength 64 must be 0, the vector conditions of condition.kind [task-id] (none: set it to 0)", "\"task-id\"", 6, 64)]
    [InlineData("model.unet.conditionVectorLength 64 must be 576, the vector conditions of condition.kind [dataset, text] (model.datasetEncoder.outputLength 64 + condition.text.hashLength 512)", "[\"dataset\", \"text\"]", 0, 64)]
    [InlineData("condition.text.encoder must be \"hashed\" or \"embeddings\"", "\"text\", \"text\": { \"encoder\": \"bert\" }", 0, 512)]
    [InlineData("condition.text.encoder \"embeddings\" needs condition.text.embeddings", "\"text\", \"text\": { \"encoder\": \"embeddings\" }", 0, 8)]
    public void BadConditionsNameTheField(string expected, string condition, int classCount, int vectorLength)
    {
        var e = Assert.Throws<FormatException>(() => PipelineConfig.Parse(Json(condition, classCount, vectorLength), "tiny"));
        Assert.StartsWith("tiny: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void TaskIdsAndTextsNeedTheModelWiseLayout()
    {
        var json = TinyPipeline.ClassRowsJson.Replace("\"layout\": \"class-rows\" },", "\"layout\": \"class-rows\" },\n  \"condition\": { \"kind\": \"task-id\" },");
        var e = Assert.Throws<FormatException>(() => PipelineConfig.Parse(json, "tiny"));
        Assert.Contains("condition.kind [task-id] needs vectors.layout \"model-wise\"", e.Message);
    }

    [Fact]
    public void UserEmbeddingsAreCheckedBeforeWork()
    {
        using var folder = new RawDiffusion.Tests.IO.TempFolder();
        var (npy, list) = ConditionRun.WriteEmbeddings(folder.Path);
        string Condition(string tasks) => $"\"text\", \"text\": {{ \"encoder\": \"embeddings\", \"embeddings\": {System.Text.Json.JsonSerializer.Serialize(npy)}, \"tasks\": {System.Text.Json.JsonSerializer.Serialize(tasks)} }}";
        ConfigValidation.Check(PipelineConfig.Parse(Json(Condition(list), 0, ConditionRun.EmbeddingLength)), "tiny", long.MaxValue);
        var wrongLength = PipelineConfig.Parse(Json(Condition(list), 0, 5));
        Assert.Contains("model.unet.conditionVectorLength 5 must be 8", Assert.Throws<FormatException>(() => ConfigValidation.Check(wrongLength, "tiny", long.MaxValue)).Message);
        // A task list whose rows do not match the file, and one that misses a seen task.
        var lines = File.ReadAllLines(list);
        string shortList = Path.Combine(folder.Path, "short.txt");
        File.WriteAllLines(shortList, lines[..^1]);
        Assert.Contains("rows, but", Assert.Throws<FormatException>(() => ConfigValidation.Check(PipelineConfig.Parse(Json(Condition(shortList), 0, 8)), "tiny", long.MaxValue)).Message);
        string swapped = Path.Combine(folder.Path, "swapped.txt");
        File.WriteAllLines(swapped, [lines[0], .. lines[2..], "fashion-mnist:9-8-7"]);
        Assert.Contains($"seen task {lines[1]} has no embedding row", Assert.Throws<FormatException>(() => ConfigValidation.Check(PipelineConfig.Parse(Json(Condition(swapped), 0, 8)), "tiny", long.MaxValue)).Message);
        Assert.Contains("condition.text: condition.text.embeddings:", Assert.Throws<FormatException>(() =>
            ConfigValidation.Check(PipelineConfig.Parse(Json(Condition(list).Replace("task-embeddings.npy", "missing.npy"), 0, 8)), "tiny", long.MaxValue)).Message);
    }

    static readonly TaskSpec Task = TaskSpec.Create("fashion-mnist", [7, 8, 1], RawDiffusion.Data.Datasets.FashionMnistClassNames);

    [Fact]
    public void TheDefaultDescriptionNamesTheClassesInOutputOrder() =>
        Assert.Equal("output 0: Sneaker; output 1: Bag; output 2: Trouser", HashedTextEncoder.Describe(Task));

    [Fact]
    public void HashedTextIsDeterministicScaledAndCaseInsensitive()
    {
        string text = HashedTextEncoder.Describe(Task);
        var a = new HashedTextEncoder(256).Encode(text);
        Assert.Equal(a, new HashedTextEncoder(256).Encode(text));
        Assert.Equal(a, new HashedTextEncoder(256).Encode(text.ToUpperInvariant()));
        Assert.Equal(256, a.Length);
        Assert.Equal(1.0, Math.Sqrt(a.Average(v => (double)v * v)), 5);
        Assert.True(a.Count(v => v != 0) > 20, "the n-grams should spread over many entries");
        Assert.All(new HashedTextEncoder(8).Encode(""), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void HashedTextDependsOnTheClassOrder()
    {
        var encoder = new HashedTextEncoder(512);
        var names = RawDiffusion.Data.Datasets.FashionMnistClassNames;
        var original = encoder.Encode(HashedTextEncoder.Describe(Task));
        var swapped = encoder.Encode(HashedTextEncoder.Describe(TaskSpec.Create("fashion-mnist", [8, 7, 1], names)));
        var other = encoder.Encode(HashedTextEncoder.Describe(TaskSpec.Create("fashion-mnist", [0, 2, 3], names)));
        static double Cosine(float[] x, float[] y) => x.Zip(y).Sum(p => (double)p.First * p.Second) / Math.Sqrt(x.Sum(v => (double)v * v) * y.Sum(v => (double)v * v));
        Assert.NotEqual(original, swapped);
        // The same classes in another order share the words, not their positions: closer than other classes, far from equal.
        double same = Cosine(original, swapped), different = Cosine(original, other);
        Assert.InRange(same, different, 0.95);
        Assert.True(different < 0.75, $"cosine {different} between descriptions of different classes");
    }
}

using RawDiffusion.Data;
using RawDiffusion.Pipeline;
using RawDiffusion.Tests.IO;
using RawDiffusion.Zoo;

namespace RawDiffusion.Tests.Pipeline;

/// <summary>Mixed-architecture zoos (zoo.architectures with condition.kind "architecture"): one sub-zoo per architecture,
/// vectors padded to the longest, a one-hot architecture condition, generation and evaluation per architecture.</summary>
public class MixedArchitectureTests
{
    static TinyRun Run => TinyRun.Mixed;

    static string Replace(string json, string from, string to)
    {
        Assert.Contains(from, json);
        return json.Replace(from, to);
    }

    [Fact]
    public void EveryArchitectureHasItsOwnZooLayoutAndStatistics()
    {
        var folder = Run.Folder;
        foreach (var name in new[] { "linear-head", "two-layer-head" })
        {
            var manifest = ZooManifest.Load(Path.Combine(folder.Zoo, name));
            Assert.Equal(name, manifest.Architecture.Name);
            Assert.Equal(6 * 2, manifest.Checkpoints.Count);
            Assert.True(File.Exists(folder.LayoutOf(name)));
            Assert.True(File.Exists(folder.NormalizationOf(name)));
        }
        Assert.False(File.Exists(Path.Combine(folder.Zoo, ZooManifest.FileName)));
        Assert.False(File.Exists(folder.Layout));
    }

    [Fact]
    public void VectorsArePaddedToTheLongestArchitectureAndUnpadExactly()
    {
        var vectors = ZooVectors.Load(Run.Config, Run.Folder);
        Assert.Equal(["linear-head", "two-layer-head"], vectors.Architectures.Select(a => a.Name));
        Assert.Equal(643, vectors.Length);
        Assert.Equal([51, 643], vectors.Parts.Select(p => p.Layout.ParameterCount));
        Assert.Equal(24, vectors.Count);
        int length = vectors.Length;
        for (int m = 0; m < vectors.Models.Count; m++)
        {
            var part = vectors.Parts[vectors.ModelArchitecture[m]];
            var raw = vectors.Raw.AsSpan(m * length, length);
            // Pad: the checkpoint's tensors in state-dict order, then zeros up to the longest architecture.
            Assert.Equal(part.Layout.Flatten(vectors.Models[m]), raw.ToArray());
            // Unpad: bit for bit the checkpoint's tensors again.
            var back = part.Layout.Unflatten(raw);
            Assert.Equal(vectors.Models[m].Keys.Order(), back.Keys.Order());
            foreach (var (name, values) in vectors.Models[m])
                Assert.Equal(values.Select(BitConverter.SingleToInt32Bits), back[name].Select(BitConverter.SingleToInt32Bits));
            int weights = part.Layout.ParameterCount;
            Assert.All(raw[weights..].ToArray(), v => Assert.Equal(0f, v));
            Assert.All(vectors.Normalized.AsSpan(m * length + weights, length - weights).ToArray(), v => Assert.Equal(0f, v));
        }
        // Each architecture is z-scored with its own statistics: per parameter, its vectors have mean 0.
        for (int a = 0; a < 2; a++)
        {
            var own = vectors.OfArchitecture(a);
            Assert.All(own.ModelArchitecture, i => Assert.Equal(0, i));
            Assert.Equal(12, own.Count);
            int weights = vectors.Parts[a].Layout.ParameterCount;
            for (int i = 0; i < weights; i += 7)
                Assert.Equal(0, Enumerable.Range(0, own.Count).Average(v => (double)own.Normalized[v * length + i]), 4);
        }
    }

    [Fact]
    public void GeneratorMakesTheChosenArchitectureAndRefusesUnknownNames()
    {
        using var data = RunData.Prepare(Run.Config, Run.Folder, null);
        using var generator = new WeightGenerator(Run.Config, Run.Folder);
        var task = ZooStage.Tasks(Run.Config, Run.Folder).Seen[0];
        var train = data.For(task).Train;
        var support = train.Select(train.SupportIndices(5, new Generator(3)));
        foreach (var name in new[] { "linear-head", "two-layer-head" })
        {
            int a = generator.SelectArchitecture(name);
            var architecture = generator.Architectures[a];
            var weights = generator.Generate(support, 5, 2, new Generator(4), architecture: a);
            Assert.Equal(2, weights.Count);
            foreach (var w in weights)
            {
                Assert.Equal(architecture.Tensors.Select(t => t.Name).Order(), w.Keys.Order());
                Assert.All(architecture.Tensors, t => Assert.Equal(t.Numel, w[t.Name].Length));
                Assert.All(w.Values.SelectMany(v => v), v => Assert.True(float.IsFinite(v)));
            }
        }
        var unknown = Assert.Throws<ArgumentException>(() => generator.SelectArchitecture("three-layer-head"));
        Assert.Contains("--architecture \"three-layer-head\"", unknown.Message);
        Assert.Contains("\"linear-head\", \"two-layer-head\"", unknown.Message);
        Assert.Contains("--architecture NAME", Assert.Throws<ArgumentException>(() => generator.SelectArchitecture(null)).Message);
        Assert.Throws<InvalidOperationException>(() => generator.Generate(support, 5, 1, new Generator(4)));
    }

    [Fact]
    public void ReportEvaluatesEachArchitectureAgainstItsOwnZooModels()
    {
        var report = Run.Report;
        Assert.Equal("linear-head + two-layer-head", report.Architecture);
        Assert.Equal(24, report.ZooModels);
        var groups = report.Groups().Select(g => g.Group).ToArray();
        Assert.Equal(["seen · linear-head", "seen · two-layer-head"], groups);
        using var data = RunData.Prepare(Run.Config, Run.Folder, null);
        var vectors = ZooVectors.Load(Run.Config, Run.Folder);
        for (int a = 0; a < 2; a++)
        {
            var architecture = vectors.Architectures[a];
            var result = report.Tasks.First(t => t.Group == $"seen · {architecture.Name}");
            var task = vectors.Tasks.Single(t => t.Id == result.Task);
            var test = data.InputsFor(task, architecture).Test;
            var own = vectors.OfArchitecture(a);
            var expected = own.ModelsByTask()[vectors.Tasks.ToList().IndexOf(task)].Select(m => Evaluation.Accuracy(architecture, own.Models[m], test)).ToArray();
            Assert.Equal(expected, result.Zoo);
            Assert.Equal(2 * 2, result.Generated.Sum(s => s.Length));
        }
        Assert.Contains("| seen · two-layer-head |", report.ToMarkdown());
    }

    [Fact]
    public void ArchitectureConditionAppendsAOneHotCode()
    {
        var conditions = new float[] { 1, 2, 3, 4, 5, 6 };
        Assert.Equal([1, 2, 3, 0, 0, 1, 4, 5, 6, 0, 0, 1], ArchitectureCondition.Append(conditions, 2, 2, 3));
        Assert.Same(conditions, ArchitectureCondition.Append(conditions, 2, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ArchitectureCondition.Append(conditions, 2, 3, 3));
    }

    [Fact]
    public void ConditionKindIsANameOrAListAndRoundTrips()
    {
        var single = TinyPipeline.Config;
        Assert.Equal(["dataset"], single.Condition.Kind);
        Assert.Contains("\"kind\": \"dataset\"", single.ToJson());
        var mixed = PipelineConfig.Parse(TinyPipeline.MixedJson, "mixed.json");
        Assert.Equal(["dataset", "architecture"], mixed.Condition.Kind);
        Assert.Equal(2, mixed.ArchitectureConditionLength);
        Assert.Equal(mixed.ToJson(), PipelineConfig.Parse(mixed.ToJson(), "again").ToJson());
        Assert.DoesNotContain("architectures", single.ToJson());
    }

    [Theory]
    [InlineData("\"kind\": [\"dataset\", \"architecture\"]", "\"kind\": \"dataset\"", "condition.kind must include \"architecture\" for a mixed-architecture zoo")]
    [InlineData("\"kind\": [\"dataset\", \"architecture\"]", "\"kind\": [\"dataset\", \"architecture\", \"colour\"]", "condition.kind: unknown condition \"colour\"")]
    [InlineData("\"kind\": [\"dataset\", \"architecture\"]", "\"kind\": [\"architecture\"]", "condition.kind [\"architecture\"] alone does not say which task to generate for")]
    [InlineData("\"kind\": [\"dataset\", \"architecture\"]", "\"kind\": 3", "condition.kind must be a string or an array of strings")]
    [InlineData("\"kind\": [\"dataset\", \"architecture\"]", "\"kind\": [\"dataset\", \"dataset\", \"architecture\"]", "condition.kind lists a condition twice")]
    [InlineData("[\"linear-head\", \"two-layer-head\"]", "[\"linear-head\"]", "zoo.architectures must list two or more")]
    [InlineData("[\"linear-head\", \"two-layer-head\"]", "[\"linear-head\", \"linear-head\"]", "zoo.architectures lists \"linear-head\" twice")]
    [InlineData("\"normalization\": \"per-parameter\" }", "\"normalization\": \"per-parameter\", \"layout\": \"class-rows\" }", "zoo.architectures: a mixed-architecture zoo needs vectors.layout \"model-wise\"")]
    [InlineData("\"conditionVectorLength\": 66", "\"conditionVectorLength\": 64", "model.unet.conditionVectorLength 64 must be 66, the vector conditions of condition.kind [dataset, architecture] (model.datasetEncoder.outputLength 64 + the one-hot index of zoo.architectures 2)")]
    public void BadMixedConfigsAreRefusedNamingTheField(string from, string to, string expected)
    {
        var e = Assert.Throws<FormatException>(() => PipelineConfig.Parse(Replace(TinyPipeline.MixedJson, from, to), "mixed.json"));
        Assert.StartsWith("mixed.json", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ArchitectureConditionWithoutAMixedZooIsRefused()
    {
        string json = Replace(TinyPipeline.Json, "\"vectors\": { \"normalization\": \"per-parameter\" },",
                              "\"vectors\": { \"normalization\": \"per-parameter\" }, \"condition\": { \"kind\": [\"dataset\", \"architecture\"] },");
        var e = Assert.Throws<FormatException>(() => PipelineConfig.Parse(json, "tiny.json"));
        Assert.Contains("condition.kind \"architecture\" needs a mixed-architecture zoo", e.Message);
    }

    [Fact]
    public void VaeVectorShorterThanTheLongestArchitectureIsRefusedNamingIt()
    {
        var config = PipelineConfig.Parse(Replace(TinyPipeline.MixedJson, "\"vectorLength\": 643,", "\"vectorLength\": 600,"), "mixed.json");
        var e = Assert.Throws<FormatException>(() => ConfigValidation.Check(config, "mixed.json", 16L << 30));
        Assert.Contains("model.vae.vectorLength 600 is shorter than the 643 parameters of \"two-layer-head\" in zoo.architectures", e.Message);
    }

    [Theory]
    [InlineData("demo-mixed.json")]
    [InlineData("demo-mixed-1d.json")]
    public void ShippedMixedConfigsPassTheChecks(string name)
    {
        string path = Path.Combine(DataLocator.FindRepositoryRoot(AppContext.BaseDirectory)!, "configs", name);
        var config = PipelineConfig.Load(path);
        ConfigValidation.Check(config, path, 16L << 30);
        Assert.Equal(["linear-head", "two-layer-head"], ZooStage.Architectures(config).Select(a => a.Name));
        Assert.Equal(2245, ZooStage.Architectures(config).Max(a => a.ParameterCount));
    }

    [Fact]
    public void OneDimensionalUNetTrainsAndGeneratesInThePipeline()
    {
        // The tiny run's zoo, VAE and encoder with a 1-D UNet: the 4x4x4 latent is read as 4 channels x 16 positions.
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.Path, "backbone.safetensors", "tasks.json", "zoo", "layout.json", "normalization.safetensors",
                                        "vae.safetensors", "encoder.safetensors");
        var config = TinyRun.Shared.Config with
        {
            Model = TinyRun.Shared.Config.Model with { UNet = TinyRun.Shared.Config.Model.UNet with { Dims = 1, ImageSize = 16, AttentionResolutions = [8] } },
        };
        config.Validate();
        using (var context = new RunContext(config, run))
            Assert.False(PipelineRun.TrainStage(context, DiffusionStage.Name, new StageOptions()).Interrupted);
        using (var unet = DiffusionStage.Load(config, run))
            Assert.All(unet.NamedParameters().Where(p => p.Key.StartsWith("input_blocks.0") && p.Key.EndsWith("weight")), p => Assert.Equal([16, 4, 3], p.Value.ShapeArray));
        using var data = RunData.Prepare(config, run, null);
        using var generator = new WeightGenerator(config, run);
        var task = ZooStage.Tasks(config, run).Seen[0];
        var train = data.For(task).Train;
        var weights = generator.Generate(train.Select(train.SupportIndices(5, new Generator(1))), 5, 2, new Generator(2));
        Assert.All(weights, w => Assert.True(Evaluation.Accuracy(generator.Architecture, w, data.For(task).Test) is >= 0 and <= 1));
        Assert.All(weights.SelectMany(w => w.Values).SelectMany(v => v), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void SharedInitializationAlignsTheHiddenUnitsOfDifferentTasks()
    {
        Assert.Equal(ZooBuilder.InitializationSeed(true, 1, "fashion-mnist:0-1-2"), ZooBuilder.InitializationSeed(true, 1, "fashion-mnist:3-4-5"));
        Assert.NotEqual(ZooBuilder.InitializationSeed(true, 0, "fashion-mnist:0-1-2"), ZooBuilder.InitializationSeed(true, 1, "fashion-mnist:0-1-2"));
        Assert.Equal(ZooBuilder.JobSeed(1, "fashion-mnist:0-1-2"), ZooBuilder.InitializationSeed(false, 1, "fashion-mnist:0-1-2"));

        string folder = Path.Combine(Run.Folder.Zoo, "two-layer-head");
        var manifest = ZooManifest.Load(folder);
        Assert.True(manifest.Training!.SharedInitialization);
        float[] Hidden(string task, int seed) => ZooCheckpoint.Read(ZooManifest.PathOf(folder, manifest.Checkpoints.Single(c => c.Task == task && c.Seed == seed)),
                                                                    manifest.Architecture).Tensors["1.weight"];
        static double Correlation(float[] a, float[] b)
        {
            double ma = a.Average(v => (double)v), mb = b.Average(v => (double)v), ab = 0, aa = 0, bb = 0;
            for (int i = 0; i < a.Length; i++) { ab += (a[i] - ma) * (b[i] - mb); aa += (a[i] - ma) * (a[i] - ma); bb += (b[i] - mb) * (b[i] - mb); }
            return ab / Math.Sqrt(aa * bb);
        }
        string first = manifest.Tasks[0].Id, second = manifest.Tasks[1].Id;
        // The same seed on two tasks: the same start, a short training apart. Two seeds on one task: unrelated starts.
        double sameSeed = Correlation(Hidden(first, 0), Hidden(second, 0)), sameTask = Correlation(Hidden(first, 0), Hidden(first, 1));
        Assert.True(sameSeed > 0.3 && Math.Abs(sameTask) < 0.15, $"same seed, two tasks: {sameSeed:F3}; same task, two seeds: {sameTask:F3}");
    }
}

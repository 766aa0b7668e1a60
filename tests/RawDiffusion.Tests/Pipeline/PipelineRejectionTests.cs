using RawDiffusion.Pipeline;
using RawDiffusion.Tests.IO;
using RawDiffusion.Training;
using RawDiffusion.Zoo;

namespace RawDiffusion.Tests.Pipeline;

/// <summary>Bad configs and damaged run folders are refused with an error naming the key, field or file, and nothing
/// the run already wrote is changed.</summary>
public class PipelineRejectionTests
{
    static TinyRun Run => TinyRun.Shared;

    static string Replace(string json, string from, string to)
    {
        Assert.Contains(from, json);
        return json.Replace(from, to);
    }

    [Theory]
    [InlineData("\"epochs\": 2, \"keepLastEpochs\"", "\"epochz\": 2, \"keepLastEpochs\"", "epochz")]
    [InlineData("\"vectors\":", "\"vectorz\":", "vectorz")]
    [InlineData("\"kind\": \"mlp\"", "\"kind\": \"mlp\", \"layers\": 3", "layers")]
    public void UnknownKeyIsNamed(string from, string to, string key)
    {
        var e = Assert.Throws<FormatException>(() => PipelineConfig.Parse(Replace(TinyPipeline.Json, from, to), "tiny.json"));
        Assert.Contains(key, e.Message);
        Assert.StartsWith("tiny.json", e.Message);
    }

    [Fact]
    public void EncoderOutputOtherThanTheLatentSizeIsRefused()
    {
        string json = Replace(TinyPipeline.Json, "\"outputLength\": 64", "\"outputLength\": 32");
        var e = Assert.Throws<FormatException>(() => PipelineConfig.Parse(json, "tiny.json"));
        Assert.Contains("model.datasetEncoder.outputLength 32", e.Message);

        json = Replace(json, "\"conditionVectorLength\": 64", "\"conditionVectorLength\": 32");
        e = Assert.Throws<FormatException>(() => PipelineConfig.Parse(json, "tiny.json"));
        Assert.Contains("model.datasetEncoder.outputLength 32 must equal the VAE latent size 64", e.Message);
    }

    [Fact]
    public void EncoderFeatureLengthOtherThanTheBackbonesIsRefused()
    {
        var e = Assert.Throws<FormatException>(() => PipelineConfig.Parse(Replace(TinyPipeline.Json, "\"featureLength\": 16", "\"featureLength\": 32"), "tiny.json"));
        Assert.Contains("model.datasetEncoder.featureLength 32", e.Message);
    }

    [Fact]
    public void VaeVectorShorterThanTheArchitectureIsRefused()
    {
        using var folder = new TempFolder();
        var run = Run.CopyTo(folder.Path, "config.json", "zoo");
        var config = PipelineConfig.Parse(Replace(TinyPipeline.Json, "\"vectorLength\": 51", "\"vectorLength\": 40"), "tiny.json");
        var e = Assert.Throws<ArgumentException>(() => ZooVectors.Load(config, run));
        Assert.Contains("model.vae.vectorLength 40", e.Message);
        Assert.Contains("51 parameters", e.Message);
        Assert.False(File.Exists(run.Layout));
        Assert.False(File.Exists(run.Normalization));
    }

    [Fact]
    public void MissingConfigFileIsNamed()
    {
        using var folder = new TempFolder();
        string path = folder.File("nowhere.json");
        var e = Assert.Throws<FileNotFoundException>(() => PipelineConfig.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void ExistingRunWithAnotherConfigIsRefusedAndKept()
    {
        using var folder = new TempFolder();
        var run = Run.CopyTo(folder.Path, "config.json");
        byte[] before = File.ReadAllBytes(run.Config);
        var other = Run.Config with { Training = Run.Config.Training with { ConditionDraws = 3 } };
        foreach (bool resume in new[] { false, true })
        {
            var e = Assert.Throws<InvalidOperationException>(() => PipelineRun.PrepareFolder(other, run, resume));
            Assert.Contains(run.Config, e.Message);
            Assert.Contains("another config", e.Message);
            Assert.Equal(before, File.ReadAllBytes(run.Config));
        }
    }

    /// <summary>Sampling and evaluation settings are not trained on: a resumed run takes new ones (and saves them), but
    /// not a new support size, which the diffusion model's conditions were drawn with.</summary>
    [Fact]
    public void ResumedRunMayChangeOnlyHowItIsSampledAndEvaluated()
    {
        using var folder = new TempFolder();
        var run = Run.CopyTo(folder.Path, "config.json");
        var resampled = Run.Config with { Sampling = Run.Config.Sampling with { Samples = 3, Guidance = 4 }, Eval = Run.Config.Eval with { ConditionSets = 4 } };
        Assert.Throws<InvalidOperationException>(() => PipelineRun.PrepareFolder(resampled, run, resume: false));
        var messages = new List<string>();
        PipelineRun.PrepareFolder(resampled, run, resume: true, messages.Add);
        Assert.Equal(resampled.ToJson(), PipelineConfig.Load(run.Config).ToJson());
        Assert.Contains("sampling, eval or predictor settings changed", Assert.Single(messages));
        var otherSupport = resampled with { Sampling = resampled.Sampling with { SupportPerClass = 3 } };
        Assert.Contains("another config", Assert.Throws<InvalidOperationException>(() => PipelineRun.PrepareFolder(otherSupport, run, resume: true)).Message);
    }

    [Fact]
    public void ExistingRunWithoutResumeIsRefused()
    {
        using var folder = new TempFolder();
        var run = Run.CopyTo(folder.Path, "config.json");
        byte[] before = File.ReadAllBytes(run.Config);
        var e = Assert.Throws<InvalidOperationException>(() => PipelineRun.PrepareFolder(Run.Config, run, resume: false));
        Assert.Contains("--resume", e.Message);
        Assert.Equal(before, File.ReadAllBytes(run.Config));
        PipelineRun.PrepareFolder(Run.Config, run, resume: true);
        Assert.Equal(before, File.ReadAllBytes(run.Config));
    }

    [Fact]
    public void StageRunAgainWithoutResumeIsRefusedAndKeepsItsFiles()
    {
        using var folder = new TempFolder();
        var run = Run.CopyTo(folder.Path);
        var kept = new[] { run.StageCheckpoint(VaeStage.Name), run.StageModel(VaeStage.Name), run.StageMetrics(VaeStage.Name) }
            .ToDictionary(p => p, File.ReadAllBytes);
        using var context = new RunContext(Run.Config, run);
        var e = Assert.Throws<IOException>(() => VaeStage.Train(context, new StageOptions()));
        Assert.Contains(run.StageCheckpoint(VaeStage.Name), e.Message);
        Assert.Contains("--resume", e.Message);
        foreach (var (path, bytes) in kept) Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void ResumeWithAnotherStageConfigIsRefused()
    {
        using var folder = new TempFolder();
        var run = Run.CopyTo(folder.Path);
        byte[] checkpoint = File.ReadAllBytes(run.StageCheckpoint(VaeStage.Name));
        var changed = Run.Config with { Training = Run.Config.Training with { Vae = Run.Config.Training.Vae with { LearningRate = 0.002 } } };
        using var context = new RunContext(changed, run);
        var e = Assert.Throws<CheckpointException>(() => VaeStage.Train(context, new StageOptions(Resume: true)));
        Assert.Contains("config", e.Message);
        Assert.Equal(checkpoint, File.ReadAllBytes(run.StageCheckpoint(VaeStage.Name)));
    }

    static void Truncate(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.SetLength(stream.Length / 2);
    }

    [Fact]
    public void TruncatedZooCheckpointIsNamed()
    {
        using var folder = new TempFolder();
        var run = Run.CopyTo(folder.Path, "config.json", "zoo");
        var entry = ZooManifest.Load(run.Zoo).Checkpoints[3];
        string damaged = ZooManifest.PathOf(run.Zoo, entry);
        Truncate(damaged);
        var e = Assert.Throws<FormatException>(() => ZooVectors.Load(Run.Config, run));
        Assert.Contains(Path.GetFileName(damaged), e.Message);
        Assert.Contains(ZooTask.FolderName(entry.Task), e.Message);
    }

    [Fact]
    public void TruncatedBackboneIsNamed()
    {
        using var folder = new TempFolder();
        var run = Run.CopyTo(folder.Path, "config.json", "backbone.safetensors");
        Truncate(run.Backbone);
        var e = Assert.ThrowsAny<FormatException>(() => RunData.Prepare(Run.Config, run, null));
        Assert.Contains("backbone.safetensors", e.Message);
    }

    [Fact]
    public void TruncatedVaeIsNamedBeforeTheEncoderTrains()
    {
        using var folder = new TempFolder();
        var run = Run.CopyTo(folder.Path, "config.json", "backbone.safetensors", "tasks.json", "zoo", "layout.json", "normalization.safetensors", "vae.safetensors");
        Truncate(run.StageModel(VaeStage.Name));
        var e = Assert.ThrowsAny<Exception>(() => VaeStage.Load(Run.Config, run));
        Assert.True(e is FormatException or CheckpointException, e.GetType().Name);
        Assert.Contains("vae.safetensors", e.Message);
        Assert.False(File.Exists(run.StageCheckpoint(EncoderStage.Name)));
    }

    [Fact]
    public void ChangedLayoutIsAMismatch()
    {
        using var folder = new TempFolder();
        var run = Run.CopyTo(folder.Path, "config.json", "zoo", "layout.json", "normalization.safetensors");
        var architecture = ZooManifest.Load(run.Zoo).Architecture;
        WeightVectorizer.ModelWise(architecture.Tensors, 60).Save(run.Layout);
        byte[] layout = File.ReadAllBytes(run.Layout), normalization = File.ReadAllBytes(run.Normalization);
        var e = Assert.Throws<FormatException>(() => ZooVectors.Load(Run.Config, run));
        Assert.Contains(run.Layout, e.Message);
        Assert.Contains("differs", e.Message);
        Assert.Equal(layout, File.ReadAllBytes(run.Layout));
        Assert.Equal(normalization, File.ReadAllBytes(run.Normalization));
    }
}

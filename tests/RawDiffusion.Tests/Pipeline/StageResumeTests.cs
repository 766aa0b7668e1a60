using RawDiffusion.IO;
using RawDiffusion.Pipeline;
using RawDiffusion.Tests.IO;
using RawDiffusion.Training;

namespace RawDiffusion.Tests.Pipeline;

/// <summary>A stage cancelled part-way and resumed ends with the same files, bit for bit, as the shared tiny run's
/// uninterrupted stage.</summary>
public class StageResumeTests
{
    static TinyRun Run => TinyRun.Shared;

    /// <summary>Cancels the token once the training loop reports <paramref name="stopAt"/> completed steps.</summary>
    sealed class CancelAt(long stopAt, CancellationTokenSource source) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Step == stopAt) source.Cancel();
        }
    }

    /// <summary>Trains the stage in <paramref name="run"/> once interrupted after <paramref name="stopAt"/> steps and then
    /// resumed, checking the interruption left a checkpoint at that step and no finished model.</summary>
    static void InterruptThenResume(string stage, RunFolder run, long stopAt, Func<StageOptions, TrainingLoopResult> train)
    {
        using var source = new CancellationTokenSource();
        var interrupted = train(new StageOptions(Display: (_, _, loop) => loop(new CancelAt(stopAt, source)), Cancel: source.Token));
        Assert.True(interrupted.Interrupted);
        Assert.Equal(stopAt, interrupted.CompletedSteps);
        Assert.False(File.Exists(run.StageModel(stage)), "an interrupted stage must not write its finished model");
        using (var checkpoint = SafeTensorsFile.Open(run.StageCheckpoint(stage)))
            Assert.Equal(stopAt.ToString(), checkpoint.Metadata[Checkpoint.StepKey]);
        Assert.Equal((int)stopAt + 1, File.ReadAllLines(run.StageMetrics(stage)).Count(l => !l.StartsWith('#')));

        var resumed = train(new StageOptions(Resume: true));
        Assert.False(resumed.Interrupted);
        Assert.Equal(stopAt, resumed.ResumedFrom);
    }

    static void AssertSameTensors(string expectedPath, string actualPath)
    {
        using var expected = SafeTensorsFile.Open(expectedPath);
        using var actual = SafeTensorsFile.Open(actualPath);
        Assert.Equal(expected.Tensors.Select(t => t.Name), actual.Tensors.Select(t => t.Name));
        foreach (var tensor in expected.Tensors)
            Assert.True(expected.ReadFloat32(tensor.Name).AsSpan().SequenceEqual(actual.ReadFloat32(tensor.Name)), $"{actualPath}: tensor {tensor.Name} differs");
        Assert.Equal(expected.Metadata.OrderBy(p => p.Key), actual.Metadata.OrderBy(p => p.Key));
    }

    static void AssertSameAsUninterrupted(string stage, RunFolder run)
    {
        AssertSameTensors(Run.Folder.StageModel(stage), run.StageModel(stage));
        AssertSameTensors(Run.Folder.StageCheckpoint(stage), run.StageCheckpoint(stage));
        Assert.Equal(File.ReadAllText(Run.Folder.StageMetrics(stage)), File.ReadAllText(run.StageMetrics(stage)));
    }

    static readonly string[] ZooFiles = ["config.json", "backbone.safetensors", "tasks.json", "zoo", "layout.json", "normalization.safetensors"];

    [Theory]
    [InlineData(5)]
    [InlineData(13)]
    public void VaeResumedMatchesUninterrupted(long stopAt)
    {
        using var folder = new TempFolder();
        var run = Run.CopyTo(folder.Path, ZooFiles);
        using var context = new RunContext(Run.Config, run);
        InterruptThenResume(VaeStage.Name, run, stopAt, options => VaeStage.Train(context, options));
        AssertSameAsUninterrupted(VaeStage.Name, run);
    }

    [Fact]
    public void EncoderResumedMatchesUninterrupted()
    {
        using var folder = new TempFolder();
        var run = Run.CopyTo(folder.Path, [.. ZooFiles, "vae.safetensors"]);
        using var context = new RunContext(Run.Config, run);
        InterruptThenResume(EncoderStage.Name, run, 6, options => EncoderStage.Train(context, options));
        AssertSameAsUninterrupted(EncoderStage.Name, run);
    }

    [Fact]
    public void DiffusionResumedMatchesUninterrupted()
    {
        using var folder = new TempFolder();
        var run = Run.CopyTo(folder.Path, [.. ZooFiles, "vae.safetensors", "encoder.safetensors"]);
        using var context = new RunContext(Run.Config, run);
        InterruptThenResume(DiffusionStage.Name, run, 7, options => DiffusionStage.Train(context, options));
        AssertSameAsUninterrupted(DiffusionStage.Name, run);
    }

    /// <summary>A whole run interrupted in its VAE stage and resumed runs the later stages (which had no checkpoints
    /// yet) from the start, and ends with the uninterrupted run's report.</summary>
    [Fact]
    public void WholeRunInterruptedThenResumedGivesTheSameReport()
    {
        using var folder = new TempFolder();
        var run = new RunFolder(Path.Combine(folder.Path, "run"));
        PipelineRun.PrepareFolder(Run.Config, run, resume: false);
        using (var source = new CancellationTokenSource())
        {
            var interrupted = PipelineRun.RunAll(Run.Config, run, null,
                new StageOptions(Display: (stage, _, loop) => loop(stage == VaeStage.Name ? new CancelAt(7, source) : null), Cancel: source.Token));
            Assert.Null(interrupted);
        }
        Assert.False(File.Exists(run.StageCheckpoint(EncoderStage.Name)));
        PipelineRun.PrepareFolder(Run.Config, run, resume: true);
        var resumed = PipelineRun.RunAll(Run.Config, run, null, new StageOptions(Resume: true));
        Assert.NotNull(resumed);
        foreach (var stage in new[] { VaeStage.Name, EncoderStage.Name, DiffusionStage.Name })
            AssertSameAsUninterrupted(stage, run);
        Assert.Equal(Run.Report.Tasks.Select(t => (t.Task, t.GeneratedMean, t.Nearest.Sum())), resumed!.Tasks.Select(t => (t.Task, t.GeneratedMean, t.Nearest.Sum())));
    }
}

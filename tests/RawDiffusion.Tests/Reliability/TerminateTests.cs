using RawDiffusion.IO;
using RawDiffusion.Models;
using RawDiffusion.Pipeline;
using RawDiffusion.Tests.Data;
using RawDiffusion.Tests.Pipeline;
using RawDiffusion.Training;

namespace RawDiffusion.Tests.Reliability;

/// <summary>SIGTERM (what `kill`, systemd and batch schedulers send) stops a training stage the way Ctrl-C does: the
/// current step finishes, the checkpoint is saved, and the trainer exits with 130 and says how to resume.</summary>
[Collection(nameof(TrainerProcessCollection))]
public class TerminateTests
{
    [Fact]
    public void SigtermSavesTheCheckpointLikeCtrlC()
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.File("run"), "config.json", "backbone.safetensors", "tasks.json", "zoo", "layout.json", "normalization.safetensors");
        // A VAE stage long enough to be stopped half-way.
        File.WriteAllText(run.Config, TinyRun.Shared.Config.ToJson().Replace("\"steps\": 30,", "\"steps\": 100000,"));
        using var trainer = new TrainerProcess("train", "vae", "--out", run.Root);
        Assert.True(trainer.WaitUntil(output => output.Contains("vae: step"), TimeSpan.FromMinutes(2)), trainer.Output);
        trainer.Terminate();
        int code = trainer.Wait(TimeSpan.FromMinutes(1));
        Assert.True(code == 130, $"exit {code}:\n{trainer.Output}");
        Assert.Contains("Terminated (SIGTERM)", trainer.Output);
        Assert.Contains("--resume", trainer.Output);
        using var checkpoint = SafeTensorsFile.Open(run.StageCheckpoint(VaeStage.Name));
        Assert.True(long.Parse(checkpoint.Metadata[Checkpoint.StepKey]) > 0);
        Assert.False(File.Exists(run.StageModel(VaeStage.Name)));
    }

    [Fact]
    public void DiffusionStepsAreBounded()
    {
        var e = Assert.Throws<FormatException>(() => ModelConfig.Parse(ModelConfig.Preset("tiny").ToJson().Replace("\"steps\": 200", "\"steps\": 100000000"), "tiny.json"));
        Assert.Contains("diffusion.steps: must be between 1 and 100000", e.Message);
    }
}

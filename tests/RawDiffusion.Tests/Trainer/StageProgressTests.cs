using RawDiffusion.Trainer;
using RawDiffusion.Training;
using Spectre.Console;

namespace RawDiffusion.Tests.Trainer;

public class StageProgressTests
{
    [Fact]
    public void DescriptionShowsStageStepAndLoss()
    {
        var value = new TrainingProgress(120, 5000, new Dictionary<string, double> { ["kl"] = 3, ["loss"] = 0.012345 }, 10, TimeSpan.FromSeconds(488));
        Assert.Equal("vae: step 120/5000 loss 0.0123", StageProgress.Describe("vae", value));
        Assert.Equal("vae: step 1/2 kl 3.0000", StageProgress.Describe("vae", value with { Step = 1, TotalSteps = 2, Metrics = new Dictionary<string, double> { ["kl"] = 3 } }));
    }

    [Fact]
    public void RedirectedOutputGetsALineEveryTenthAndAtTheLastStep()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });

        var result = StageProgress.Run("diffusion", 40, progress =>
        {
            for (long s = 1; s <= 40; s++)
                progress.Report(new TrainingProgress(s, 40, new Dictionary<string, double> { ["loss"] = 1.0 / s }, 5, TimeSpan.FromSeconds((40 - s) / 5.0)));
            return new TrainingLoopResult(40, false, 0);
        }, console);

        Assert.Equal(new TrainingLoopResult(40, false, 0), result);
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(11, lines.Length);
        Assert.Equal("diffusion: step 1/40 loss 1.0000 (2%, 5.00 steps/s, 00:00:08 left)", lines[0]);
        Assert.Equal("diffusion: step 4/40 loss 0.2500 (10%, 5.00 steps/s, 00:00:08 left)", lines[1]);
        Assert.Equal("diffusion: step 40/40 loss 0.0250 (100%, 5.00 steps/s, 00:00:00 left)", lines[^1]);
    }
}

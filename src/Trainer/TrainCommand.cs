using System.CommandLine;
using RawDiffusion.Pipeline;

namespace RawDiffusion.Trainer;

/// <summary>`train predictor|vae|encoder|diffusion`: one training stage of a run folder made by `zoo build`.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var train = new Command("train", "Train one generative stage of a run (after `zoo build`)");
        train.Subcommands.Add(Stage(PredictorStage.Name, "Train the accuracy predictor on the zoo (runs with a model.predictor section)"));
        train.Subcommands.Add(Stage(VaeStage.Name, "Train the weight VAE on the zoo's normalised weight vectors"));
        train.Subcommands.Add(Stage(EncoderStage.Name, "Train the dataset encoder contrastively against the VAE latents"));
        train.Subcommands.Add(Stage(DiffusionStage.Name, "Train the latent diffusion UNet conditioned on dataset embeddings"));
        return train;
    }

    static Command Stage(string name, string description)
    {
        var output = Cli.OutOption();
        var data = Cli.DataOption();
        var resume = Cli.ResumeOption();
        var command = new Command(name, description) { output, data, resume };
        command.SetAction(p => Cli.Guard(cancel =>
        {
            var run = new RunFolder(p.GetValue(output)!);
            var config = Cli.RunConfig(run);
            return Cli.AsWriter(run, $"train {name}", () => Train(name, config, run, p.GetValue(data), Cli.Stages(p.GetValue(resume), cancel)));
        }));
        return command;
    }

    static int Train(string name, PipelineConfig config, RunFolder run, string? dataRoot, StageOptions options)
    {
        if (!PipelineRun.Stages(config).Contains(name))
        {
            Cli.Log($"this run has no {name} stage (vectors.layout \"{config.Vectors.Layout}\", {(config.Model.Predictor == null ? "no" : "with a")} model.predictor: it trains {string.Join(", ", PipelineRun.Stages(config))})");
            return 0;
        }
        using var context = new RunContext(config, run, dataRoot, Cli.Log);
        return Done(PipelineRun.TrainStage(context, name, options).Interrupted, run.StageModel(name));
    }

    static int Done(bool interrupted, string model)
    {
        if (!interrupted) Cli.Log($"wrote {model}");
        return interrupted ? Interrupt.ExitCode : 0;
    }
}

using RawDiffusion.Nn;
using RawDiffusion.Training;
using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Pipeline;

/// <summary>
/// The one training loop every stage of a run goes through: metrics to &lt;stage&gt;.csv, checkpoints (model, optimizer,
/// EMA, step) to checkpoints/&lt;stage&gt;.safetensors with the stage's config hash so --resume refuses a changed config,
/// the progress display, and cancellation. A stage supplies its network, optimizer and a loss per step; "loss" is the
/// term minimised, any other entries are logged beside it.
/// </summary>
public static class StageTrainer
{
    public static TrainingLoopResult Train(RunContext context, string stage, StageTraining settings, IReadOnlyDictionary<string, string> metadata,
                                           Module model, Optimizer optimizer, Ema? ema, StageOptions options,
                                           Func<Generator, IReadOnlyDictionary<string, Tensor>> losses)
    {
        var run = context.Run;
        using var metrics = new MetricsCsv(run.StageMetrics(stage)) { Note = $"device: {Backends.Backend.DefaultDescription}" };
        Directory.CreateDirectory(run.Checkpoints);
        string checkpoint = run.StageCheckpoint(stage);
        return options.Run(stage, settings.Steps, progress => TrainingLoop.Run(model, optimizer, ema,
            new TrainingLoopOptions(settings.Steps, checkpoint, (ulong)settings.Seed, settings.CheckpointEvery, options.ResumeFrom(checkpoint), metadata),
            (_, generator) =>
            {
                var terms = losses(generator);
                optimizer.ZeroGrad();
                terms["loss"].Backward();
                optimizer.Step();
                return terms.ToDictionary(kv => kv.Key, kv => kv.Value.Item());
            }, metrics, progress, options.Cancel));
    }
}

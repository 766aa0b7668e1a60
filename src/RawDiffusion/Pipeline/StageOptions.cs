using RawDiffusion.Training;

namespace RawDiffusion.Pipeline;

/// <summary>Runs a training stage under a progress display (the CLI's progress bar): the display calls
/// <paramref name="run"/> with the progress sink it wants the training loop to report to.</summary>
public delegate TrainingLoopResult StageDisplay(string stage, long steps, Func<IProgress<TrainingProgress>?, TrainingLoopResult> run);

/// <summary>How a training stage runs: continue from its checkpoint, show progress, stop on cancellation.</summary>
public sealed record StageOptions(bool Resume = false, StageDisplay? Display = null, CancellationToken Cancel = default)
{
    /// <summary>A run being resumed continues each stage from its checkpoint; a stage it had not reached yet starts afresh.</summary>
    internal bool ResumeFrom(string checkpoint) => Resume && File.Exists(checkpoint);

    internal TrainingLoopResult Run(string stage, long steps, Func<IProgress<TrainingProgress>?, TrainingLoopResult> run) =>
        Display is null ? run(null) : Display(stage, steps, run);
}

using System.Diagnostics;
using System.Globalization;
using RawDiffusion.IO;
using RawDiffusion.Nn;
using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Training;

/// <summary>How <see cref="TrainingLoop.Run"/> runs a stage.</summary>
/// <param name="TotalSteps">Steps of the whole run (a resumed run goes on to the same total).</param>
/// <param name="CheckpointPath">The run's checkpoint (written atomically; never overwritten by a new run).</param>
/// <param name="Seed">Seed of every step's <see cref="Generator"/> (see <see cref="TrainingLoop.StepGenerator"/>).</param>
/// <param name="CheckpointEvery">Save every this many steps; 0 saves only at the end and on interrupt.</param>
/// <param name="Resume">Continue from <paramref name="CheckpointPath"/>, which must exist.</param>
/// <param name="Metadata">Stored in the checkpoint and, on resume, required to be identical (e.g. a hash of the
/// config), so a run is never continued with other settings.</param>
public sealed record TrainingLoopOptions(long TotalSteps, string CheckpointPath, ulong Seed, int CheckpointEvery = 0,
                                         bool Resume = false, IReadOnlyDictionary<string, string>? Metadata = null);

/// <summary>Reported after each step. <paramref name="Step"/> counts completed steps (resumed ones included);
/// <paramref name="StepsPerSecond"/> and <paramref name="Remaining"/> are measured over this session's steps only.</summary>
public sealed record TrainingProgress(long Step, long TotalSteps, IReadOnlyDictionary<string, double> Metrics,
                                      double StepsPerSecond, TimeSpan? Remaining);

/// <summary><paramref name="CompletedSteps"/>: steps done in total (the checkpoint's step);
/// <paramref name="Interrupted"/>: stopped by the cancellation token before <see cref="TrainingLoopOptions.TotalSteps"/>;
/// <paramref name="ResumedFrom"/>: the step it started at (0 for a new run).</summary>
public sealed record TrainingLoopResult(long CompletedSteps, bool Interrupted, long ResumedFrom);

/// <summary>Runs a training stage step by step with checkpoints, resume, metrics and interruption.
/// <list type="bullet">
/// <item>The step function does one update: forward, backward and <see cref="Optimizer.Step"/> (setting the learning
/// rate first if it follows a schedule: <c>schedule.Apply(optimizer)</c> reads the restored
/// <see cref="Optimizer.StepCount"/>, so it continues correctly after a resume). The loop then updates the EMA, so the
/// step must not. Each step runs in its own <see cref="DisposeScope"/>: its temporary tensors are freed when it returns.</item>
/// <item>All randomness of a step must come from the generator it is given, which depends only on the seed and the step
/// index; with the model, optimizer and EMA restored from the checkpoint, a resumed run is then bit for bit the run
/// that was never interrupted.</item>
/// <item>A new run refuses to start over an existing checkpoint, and a resume needs one (its metadata must match):
/// finished or interrupted work is never overwritten.</item>
/// <item>When <c>cancel</c> fires, the current step is finished, the checkpoint saved and the result says
/// Interrupted.</item>
/// </list></summary>
public static class TrainingLoop
{
    /// <summary>Checkpoint metadata key holding <see cref="TrainingLoopOptions.Seed"/>, checked on resume like the caller's
    /// metadata: another seed would give other steps than the interrupted run's.</summary>
    public const string SeedKey = "training_seed";

    /// <summary>Runs steps from 0 (or from the checkpoint's step with <see cref="TrainingLoopOptions.Resume"/>) to
    /// <see cref="TrainingLoopOptions.TotalSteps"/>. <paramref name="step"/> gets the step index (0-based) and that
    /// step's generator and returns its metrics (e.g. {"loss": 0.3}), which go to <paramref name="metrics"/> as the row
    /// of that step index and to <paramref name="progress"/>. On resume the metrics file's rows from the resumed step on
    /// are dropped first, so it ends up as the uninterrupted run's; a new run starts it empty (without a checkpoint its
    /// rows could not be continued anyway). An exception from <paramref name="step"/> propagates without a save: the
    /// model may be half updated, and the last checkpoint is the state to go back to.</summary>
    /// <exception cref="IOException">a new run's checkpoint already exists.</exception>
    /// <exception cref="FileNotFoundException">resuming without a checkpoint.</exception>
    /// <exception cref="CheckpointException">the checkpoint does not fit the model/optimizer/EMA, or its metadata differs
    /// (the message names the key).</exception>
    public static TrainingLoopResult Run(Module model, Optimizer optimizer, Ema? ema, TrainingLoopOptions options,
                                         Func<long, Generator, IReadOnlyDictionary<string, double>> step, MetricsCsv? metrics = null,
                                         IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(step);
        if (options.TotalSteps < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.TotalSteps, "TotalSteps must be at least 1");
        if (options.CheckpointEvery < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.CheckpointEvery, "CheckpointEvery must be >= 0 (0: only at the end and on interrupt)");
        ArgumentException.ThrowIfNullOrEmpty(options.CheckpointPath, "options.CheckpointPath");
        string path = Path.GetFullPath(options.CheckpointPath);
        var metadata = CheckpointMetadata(options);

        long start = 0;
        if (options.Resume)
        {
            if (!File.Exists(path))
                throw new FileNotFoundException($"{path}: cannot resume, the checkpoint does not exist (start a new run without --resume)", path);
            CheckMetadata(path, metadata);
            start = Checkpoint.Load(path, model, optimizer, ema).Step;
            if (start > options.TotalSteps)
                throw new ArgumentException($"{path}: the checkpoint is at step {start}, past the {options.TotalSteps} total steps asked for", nameof(options));
        }
        else if (File.Exists(path))
            throw new IOException($"{path}: a checkpoint already exists; pass --resume to continue it, or choose another output");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        metrics?.DropFrom(start);

        var clock = Stopwatch.StartNew();
        long completed = start;
        long savedAt = options.Resume ? start : -1;
        bool interrupted = false;
        while (completed < options.TotalSteps)
        {
            if (cancel.IsCancellationRequested)
            {
                interrupted = true;
                break;
            }
            IReadOnlyDictionary<string, double> values;
            using (DisposeScope.Enter())
            {
                values = step(completed, StepGenerator(options.Seed, completed));
                ema?.Update();
            }
            metrics?.Append(completed, values);
            completed++;
            if (options.CheckpointEvery > 0 && completed % options.CheckpointEvery == 0)
            {
                Checkpoint.Save(path, model, optimizer, ema, completed, metadata);
                savedAt = completed;
            }
            if (progress != null)
            {
                double rate = (completed - start) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                progress.Report(new TrainingProgress(completed, options.TotalSteps, values, rate,
                    TimeSpan.FromSeconds((options.TotalSteps - completed) / rate)));
            }
        }
        if (savedAt != completed) Checkpoint.Save(path, model, optimizer, ema, completed, metadata);
        return new TrainingLoopResult(completed, interrupted, start);
    }

    /// <summary>The generator of step <paramref name="step"/>: a function of the seed and the step index only (mixed by
    /// the SplitMix64 finaliser, so neighbouring steps and seeds get unrelated streams).</summary>
    public static Generator StepGenerator(ulong seed, long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return new Generator(Mix(seed ^ Mix((ulong)step + 0x9E3779B97F4A7C15UL)));
    }

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    static Dictionary<string, string> CheckpointMetadata(TrainingLoopOptions options)
    {
        var metadata = new Dictionary<string, string>();
        foreach (var (key, value) in options.Metadata ?? new Dictionary<string, string>())
        {
            if (key == SeedKey || IsCheckpointOwnKey(key))
                throw new ArgumentException($"metadata key '{key}' is reserved for the training loop's and the checkpoint's own entries", nameof(options));
            metadata[key] = value;
        }
        metadata[SeedKey] = options.Seed.ToString(CultureInfo.InvariantCulture);
        return metadata;
    }

    /// <summary>Every metadata entry must be in the file with the same value, and the file must have no entries of its
    /// own beyond the checkpoint's: settings dropped since the run started count as changed too.</summary>
    static void CheckMetadata(string path, IReadOnlyDictionary<string, string> expected)
    {
        using var file = SafeTensorsFile.Open(path);
        foreach (var (key, value) in expected)
        {
            if (!file.Metadata.TryGetValue(key, out var saved))
                throw new CheckpointException(path, $"metadata '{key}' is missing from the checkpoint; it was written by a run with other settings");
            if (saved != value)
                throw new CheckpointException(path, $"metadata '{key}' is '{Shorten(saved)}' in the checkpoint but '{Shorten(value)}' now: resume with the settings it was started with, or start a new run with another output");
        }
        foreach (var key in file.Metadata.Keys)
            if (!IsCheckpointOwnKey(key) && !expected.ContainsKey(key))
                throw new CheckpointException(path, $"metadata '{key}' is in the checkpoint but not given now; it was written by a run with other settings");
    }

    static bool IsCheckpointOwnKey(string key) =>
        key is Checkpoint.FormatKey or Checkpoint.StepKey or Checkpoint.OptimizerKey or Checkpoint.EmaKey;

    static string Shorten(string value) => value.Length <= 80 ? value : value[..77] + "...";
}

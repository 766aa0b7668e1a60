using System.Globalization;
using RawDiffusion.Training;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace RawDiffusion.Trainer;

/// <summary>Shows a <see cref="TrainingLoop"/> stage as a Spectre.Console progress bar: "&lt;stage&gt;: step s/N loss x.xxxx",
/// the bar, the percentage, the loop's own step rate and time left (measured over this session's steps, so a resumed
/// run is not credited with the steps it loaded). When the console is not interactive (output redirected to a file or
/// a CI log) it prints a plain line at the first step, every 10% and at the last step instead: Spectre's own fallback
/// there only prints what its refresh thread happens to see, which can miss the end.</summary>
internal static class StageProgress
{
    const string RateKey = "steps_per_second";
    const string RemainingKey = "seconds_remaining";

    /// <summary>Runs <paramref name="run"/> (which passes the given <see cref="IProgress{T}"/> to
    /// <see cref="TrainingLoop.Run"/>) under a progress display of <paramref name="totalSteps"/> steps.</summary>
    public static TrainingLoopResult Run(string stage, long totalSteps, Func<IProgress<TrainingProgress>, TrainingLoopResult> run,
                                         IAnsiConsole? console = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(stage);
        ArgumentNullException.ThrowIfNull(run);
        var target = console ?? AnsiConsole.Console;
        if (!target.Profile.Capabilities.Interactive) return run(new LineProgress(stage, target));
        var progress = target.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                     new StepRateColumn(), new TimeLeftColumn());
        return progress.Start(context =>
        {
            var task = context.AddTask(Markup.Escape($"{stage}: step 0/{totalSteps}"), maxValue: totalSteps);
            var result = run(new TaskProgress(stage, task));
            task.StopTask();
            return result;
        });
    }

    /// <summary>Copies each report into the Spectre task (read by the render thread).</summary>
    sealed class TaskProgress(string stage, ProgressTask task) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            task.Description = Markup.Escape(Describe(stage, value));
            task.State.Update<double>(RateKey, _ => value.StepsPerSecond);
            task.State.Update<double>(RemainingKey, _ => value.Remaining?.TotalSeconds ?? double.NaN);
            task.Value = value.Step;
        }
    }

    /// <summary>Writes a plain line when a report reaches the next tenth of the run, and for the first and last steps.</summary>
    sealed class LineProgress(string stage, IAnsiConsole console) : IProgress<TrainingProgress>
    {
        long lastTenth = -1;

        public void Report(TrainingProgress value)
        {
            long tenth = value.Step * 10 / Math.Max(value.TotalSteps, 1);
            if (tenth == lastTenth && value.Step != value.TotalSteps) return;
            lastTenth = tenth;
            double percent = 100.0 * value.Step / Math.Max(value.TotalSteps, 1);
            // Straight to the writer: Spectre would wrap the line at its assumed 80 columns, which a log file does not have.
            console.Profile.Out.Writer.WriteLine($"{Describe(stage, value)} ({percent.ToString("F0", CultureInfo.InvariantCulture)}%, {FormatRate(value.StepsPerSecond)}, {FormatTimeLeft(value.Remaining)} left)");
        }
    }

    /// <summary>"vae: step 120/5000 loss 0.0123": the "loss" metric, or the first one when there is no "loss".</summary>
    internal static string Describe(string stage, TrainingProgress value)
    {
        string text = $"{stage}: step {value.Step}/{value.TotalSteps}";
        var shown = value.Metrics.ContainsKey("loss") ? "loss" : value.Metrics.Keys.FirstOrDefault();
        return shown == null ? text : text + $" {shown} {value.Metrics[shown].ToString("F4", CultureInfo.InvariantCulture)}";
    }

    sealed class StepRateColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(FormatRate(task.State.Get<double>(RateKey)), Color.Grey);
    }

    sealed class TimeLeftColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            double seconds = task.State.Get<double>(RemainingKey);
            bool known = task.State.Get<double>(RateKey) > 0 && double.IsFinite(seconds);
            return new Text(FormatTimeLeft(known ? TimeSpan.FromSeconds(seconds) : null), Color.Blue);
        }
    }

    static string FormatRate(double stepsPerSecond) =>
        !(stepsPerSecond > 0) ? "-- steps/s"
        : (stepsPerSecond >= 10 ? stepsPerSecond.ToString("F0", CultureInfo.InvariantCulture) : stepsPerSecond.ToString("F2", CultureInfo.InvariantCulture)) + " steps/s";

    static string FormatTimeLeft(TimeSpan? remaining)
    {
        if (remaining is not { } r) return "--:--:--";
        var left = TimeSpan.FromSeconds(Math.Ceiling(r.TotalSeconds));
        string clock = left.ToString("hh\\:mm\\:ss", CultureInfo.InvariantCulture);
        return left.TotalDays >= 1 ? $"{(int)left.TotalDays}d {clock}" : clock;
    }
}

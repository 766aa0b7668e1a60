namespace RawDiffusion.Training.Schedules;

/// <summary>Linear warm-up from <see cref="WarmupStart"/> to <see cref="Peak"/> over <see cref="WarmupSteps"/> steps,
/// then a straight line from <see cref="Peak"/> down to <see cref="Floor"/> at <see cref="TotalSteps"/>, constant after:
/// <code>
/// step &lt; warmup:  start + (peak - start)·step / warmup
/// otherwise:      peak + (floor - peak)·t,   t = min(1, (step - warmup) / (total - warmup))
/// </code></summary>
public sealed class WarmupLinearSchedule : LearningRateSchedule
{
    public WarmupLinearSchedule(double peak, long warmupSteps, long totalSteps, double floor = 0, double warmupStart = 0)
    {
        CheckRate(peak, nameof(peak));
        CheckRate(floor, nameof(floor));
        CheckRate(warmupStart, nameof(warmupStart));
        CheckPhases(warmupSteps, totalSteps);
        Peak = peak;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        Floor = floor;
        WarmupStart = warmupStart;
    }

    public double Peak { get; }
    public long WarmupSteps { get; }
    public long TotalSteps { get; }
    public double Floor { get; }
    public double WarmupStart { get; }

    public override double LearningRate(long step)
    {
        CheckStep(step);
        if (step < WarmupSteps) return Warmup(step, WarmupSteps, WarmupStart, Peak);
        return Peak + (Floor - Peak) * DecayProgress(step, WarmupSteps, TotalSteps);
    }
}

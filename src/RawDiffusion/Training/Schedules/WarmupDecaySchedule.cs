namespace RawDiffusion.Training.Schedules;

/// <summary>Linear warm-up from <see cref="WarmupStart"/> to <see cref="Peak"/> over <see cref="WarmupSteps"/> steps,
/// then a decay from <see cref="Peak"/> to <see cref="Floor"/> at <see cref="TotalSteps"/>, constant after; the
/// subclass gives the decay's shape.</summary>
public abstract class WarmupDecaySchedule : LearningRateSchedule
{
    protected WarmupDecaySchedule(double peak, long warmupSteps, long totalSteps, double floor, double warmupStart)
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
        return step < WarmupSteps ? Warmup(step, WarmupSteps, WarmupStart, Peak) : Decay(DecayProgress(step, WarmupSteps, TotalSteps));
    }

    /// <summary>The rate when a fraction <paramref name="t"/> (0..1) of the decay phase is done.</summary>
    protected abstract double Decay(double t);
}

namespace RawDiffusion.Training.Schedules;

/// <summary>Linear warm-up from <see cref="WarmupStart"/> to <see cref="Peak"/> over <see cref="WarmupSteps"/> steps,
/// then a half cosine from <see cref="Peak"/> down to <see cref="Floor"/> at <see cref="TotalSteps"/>, constant after
/// (LDM's LambdaWarmUpCosineScheduler):
/// <code>
/// step &lt; warmup:  start + (peak - start)·step / warmup
/// otherwise:      floor + (peak - floor)·(1 + cos(π·t)) / 2,   t = min(1, (step - warmup) / (total - warmup))
/// </code></summary>
public sealed class WarmupCosineSchedule(double peak, long warmupSteps, long totalSteps, double floor = 0, double warmupStart = 0)
    : WarmupDecaySchedule(peak, warmupSteps, totalSteps, floor, warmupStart)
{
    protected override double Decay(double t) => Floor + (Peak - Floor) * 0.5 * (1 + Math.Cos(Math.PI * t));
}

namespace RawDiffusion.Training.Schedules;

/// <summary>Linear warm-up from <see cref="WarmupStart"/> to <see cref="Peak"/> over <see cref="WarmupSteps"/> steps,
/// then a straight line from <see cref="Peak"/> down to <see cref="Floor"/> at <see cref="TotalSteps"/>, constant after:
/// <code>
/// step &lt; warmup:  start + (peak - start)·step / warmup
/// otherwise:      peak + (floor - peak)·t,   t = min(1, (step - warmup) / (total - warmup))
/// </code></summary>
public sealed class WarmupLinearSchedule(double peak, long warmupSteps, long totalSteps, double floor = 0, double warmupStart = 0)
    : WarmupDecaySchedule(peak, warmupSteps, totalSteps, floor, warmupStart)
{
    protected override double Decay(double t) => Peak + (Floor - Peak) * t;
}

using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Training.Schedules;

/// <summary>A learning rate as a function of the optimizer step. <c>step</c> is the number of optimizer steps already
/// taken (0 for the first update), i.e. <see cref="Optimizer.StepCount"/> just before <see cref="Optimizer.Step"/>.</summary>
public abstract class LearningRateSchedule
{
    /// <summary>The learning rate for the update that follows <paramref name="step"/> completed steps.</summary>
    public abstract double LearningRate(long step);

    /// <summary>Sets every parameter group of <paramref name="optimizer"/> to the rate for its next step; call it right
    /// before <see cref="Optimizer.Step"/>. Returns the rate.</summary>
    public double Apply(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        double lr = LearningRate(optimizer.StepCount);
        optimizer.LearningRate = lr;
        return lr;
    }

    protected static void CheckStep(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "a schedule's step must be >= 0");
    }

    protected static void CheckRate(double value, string argument)
    {
        if (!(value >= 0) || double.IsInfinity(value)) throw new ArgumentOutOfRangeException(argument, value, "a learning rate must be finite and >= 0");
    }

    /// <summary>Linear ramp from <paramref name="start"/> at step 0 to <paramref name="peak"/> at step <paramref name="warmupSteps"/>.</summary>
    protected static double Warmup(long step, long warmupSteps, double start, double peak) =>
        start + (peak - start) * step / warmupSteps;

    /// <summary>Fraction of the decay phase done at <paramref name="step"/>: 0 at the end of warm-up, 1 at
    /// <paramref name="totalSteps"/> and after.</summary>
    protected static double DecayProgress(long step, long warmupSteps, long totalSteps) =>
        totalSteps <= warmupSteps ? 1 : Math.Clamp((double)(step - warmupSteps) / (totalSteps - warmupSteps), 0, 1);

    protected static void CheckPhases(long warmupSteps, long totalSteps)
    {
        if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "warm-up steps must be >= 0");
        if (totalSteps < warmupSteps)
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"total steps must be >= warm-up steps ({warmupSteps})");
    }
}

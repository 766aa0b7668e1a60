namespace RawDiffusion.Training.Schedules;

/// <summary>The same learning rate at every step.</summary>
public sealed class ConstantSchedule : LearningRateSchedule
{
    public ConstantSchedule(double learningRate)
    {
        CheckRate(learningRate, nameof(learningRate));
        Rate = learningRate;
    }

    public double Rate { get; }

    public override double LearningRate(long step)
    {
        CheckStep(step);
        return Rate;
    }
}

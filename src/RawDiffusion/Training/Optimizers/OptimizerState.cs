namespace RawDiffusion.Training.Optimizers;

/// <summary>Everything an optimizer needs to continue exactly where it stopped: its algorithm's hyper-parameters,
/// each group's learning rate and weight decay, the number of steps taken, and per parameter (in the order of
/// <see cref="Optimizer.Parameters"/>, like PyTorch's integer keys) its step count and buffers.</summary>
public sealed class OptimizerState
{
    public required string Algorithm { get; init; }
    public required long StepCount { get; init; }
    public required IReadOnlyDictionary<string, double> HyperParameters { get; init; }
    public required IReadOnlyList<GroupSettings> Groups { get; init; }

    /// <summary>One entry per parameter; null for a parameter that has never had a gradient at a step.</summary>
    public required IReadOnlyList<ParameterState?> Parameters { get; init; }
}

/// <summary>A parameter group's settings and its size (the number of parameters it holds).</summary>
public sealed record GroupSettings(double LearningRate, double WeightDecay, int ParameterCount);

/// <summary>An optimizer's state for one parameter: how many updates it has received and its named buffers
/// (shaped like the parameter, e.g. "exp_avg", "exp_avg_sq", "momentum_buffer").</summary>
public sealed class ParameterState
{
    public ParameterState(long step, IReadOnlyDictionary<string, Tensor> buffers)
    {
        Step = step;
        Buffers = buffers;
    }

    public long Step { get; }
    public IReadOnlyDictionary<string, Tensor> Buffers { get; }
}

namespace RawDiffusion.Training.Optimizers;

/// <summary>Parameters that share a learning rate and weight decay (e.g. no decay on biases and norm scales).
/// A setting left null takes the optimizer's default when the group is handed to an optimizer.</summary>
public sealed class ParameterGroup
{
    public ParameterGroup(IEnumerable<Tensor> parameters, double? learningRate = null, double? weightDecay = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters.ToArray();
        RequestedLearningRate = learningRate;
        RequestedWeightDecay = weightDecay;
    }

    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The group's current learning rate; schedules overwrite it every step.</summary>
    public double LearningRate { get; set; }

    public double WeightDecay { get; set; }

    internal double? RequestedLearningRate { get; }
    internal double? RequestedWeightDecay { get; }
}

namespace RawDiffusion.Training.Optimizers;

/// <summary>Adam with decoupled weight decay (torch.optim.AdamW, Loshchilov &amp; Hutter): each step first shrinks the
/// parameter by lr·wd, then applies the plain Adam update, so decay does not pass through the adaptive scaling.
/// PyTorch's default weight decay of 0.01 is kept.</summary>
public sealed class AdamW : Adam
{
    public AdamW(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                 double eps = 1e-8, double weightDecay = 1e-2)
        : this([new ParameterGroup(parameters)], learningRate, beta1, beta2, eps, weightDecay) { }

    public AdamW(IEnumerable<ParameterGroup> parameterGroups, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                 double eps = 1e-8, double weightDecay = 1e-2)
        : base(parameterGroups, learningRate, beta1, beta2, eps, weightDecay, decoupledWeightDecay: true) { }
}

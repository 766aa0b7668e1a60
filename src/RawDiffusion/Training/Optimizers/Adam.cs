using RawDiffusion.Backends;

namespace RawDiffusion.Training.Optimizers;

/// <summary>Adam with torch.optim.Adam's semantics (bias-corrected moments; weight decay as an L2 term added to the
/// gradient). <see cref="AdamW"/> is the same algorithm with decoupled weight decay. One fused backend pass per parameter, many parameters per pass where the backend batches them.</summary>
public class Adam : Optimizer
{
    const string ExpAvg = "exp_avg", ExpAvgSq = "exp_avg_sq";

    public Adam(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                double eps = 1e-8, double weightDecay = 0)
        : this([new ParameterGroup(parameters)], learningRate, beta1, beta2, eps, weightDecay) { }

    public Adam(IEnumerable<ParameterGroup> parameterGroups, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                double eps = 1e-8, double weightDecay = 0)
        : this(parameterGroups, learningRate, beta1, beta2, eps, weightDecay, decoupledWeightDecay: false) { }

    private protected Adam(IEnumerable<ParameterGroup> parameterGroups, double learningRate, double beta1, double beta2,
                           double eps, double weightDecay, bool decoupledWeightDecay)
        : base(parameterGroups, learningRate, weightDecay)
    {
        DecoupledWeightDecay = decoupledWeightDecay;
        Configure(beta1, beta2, eps);
    }

    public double Beta1 { get; private set; }
    public double Beta2 { get; private set; }
    public double Eps { get; private set; }

    /// <summary>True for AdamW: p *= 1 - lr·wd before the Adam step, instead of adding wd·p to the gradient.</summary>
    public bool DecoupledWeightDecay { get; }

    void Configure(double beta1, double beta2, double eps)
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must lie in [0, 1)");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must lie in [0, 1)");
        CheckNonNegative(eps, "eps", nameof(eps));
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
    }

    public override IReadOnlyDictionary<string, double> HyperParameters => new Dictionary<string, double>
    {
        ["beta1"] = Beta1,
        ["beta2"] = Beta2,
        ["eps"] = Eps,
    };

    protected override void LoadHyperParameters(IReadOnlyDictionary<string, double> values) =>
        Configure(values["beta1"], values["beta2"], values["eps"]);

    /// <summary>Every parameter of a group that shares a backend and dtype in one <see cref="IBackend.AdamStepMany"/>
    /// call (a few kernel launches on a GPU instead of one per parameter); the result is that of <see cref="Update"/> on each.</summary>
    protected override void UpdateAll(IReadOnlyList<PendingUpdate> updates)
    {
        foreach (var batch in updates.GroupBy(u => (u.Group, u.Parameter.Backend, u.Parameter.DType)))
        {
            var (group, backend, _) = batch.Key;
            var tensors = batch.Select(u =>
            {
                var (expAvg, expAvgSq) = State(u.Parameter, u.Slot);
                return new AdamTensors(u.Parameter.Storage.Buffer, u.Parameter.Offset, u.Gradient.Storage.Buffer, u.Gradient.Offset,
                    expAvg.Storage.Buffer, expAvg.Offset, expAvgSq.Storage.Buffer, expAvgSq.Offset, u.Parameter.Numel, u.Slot.Step);
            }).ToArray();
            backend.AdamStepMany(tensors, group.LearningRate, Beta1, Beta2, Eps, group.WeightDecay, DecoupledWeightDecay);
        }
    }

    (Tensor ExpAvg, Tensor ExpAvgSq) State(Tensor parameter, Slot slot)
    {
        if (!slot.Buffers.TryGetValue(ExpAvg, out var expAvg)) slot.Buffers[ExpAvg] = expAvg = NewBuffer(parameter);
        if (!slot.Buffers.TryGetValue(ExpAvgSq, out var expAvgSq)) slot.Buffers[ExpAvgSq] = expAvgSq = NewBuffer(parameter);
        return (expAvg, expAvgSq);
    }

    protected override void Update(Tensor parameter, Tensor gradient, Slot slot, ParameterGroup group)
    {
        var (expAvg, expAvgSq) = State(parameter, slot);
        parameter.Backend.AdamStep(parameter.Storage.Buffer, parameter.Offset, gradient.Storage.Buffer, gradient.Offset,
            expAvg.Storage.Buffer, expAvg.Offset, expAvgSq.Storage.Buffer, expAvgSq.Offset, parameter.Numel,
            group.LearningRate, Beta1, Beta2, Eps, group.WeightDecay, DecoupledWeightDecay, slot.Step);
    }
}

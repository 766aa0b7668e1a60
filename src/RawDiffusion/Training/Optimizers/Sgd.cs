namespace RawDiffusion.Training.Optimizers;

/// <summary>Stochastic gradient descent with torch.optim.SGD's semantics:
/// <code>
/// d = g + wd·p
/// buf = (first step) ? d : momentum·buf + (1 - dampening)·d
/// d = nesterov ? d + momentum·buf : buf          (when momentum ≠ 0)
/// p -= lr·d
/// </code>One fused backend pass per parameter.</summary>
public sealed class Sgd : Optimizer
{
    const string MomentumBuffer = "momentum_buffer";

    public Sgd(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double momentum = 0, double dampening = 0,
               double weightDecay = 0, bool nesterov = false)
        : this([new ParameterGroup(parameters)], learningRate, momentum, dampening, weightDecay, nesterov) { }

    public Sgd(IEnumerable<ParameterGroup> parameterGroups, double learningRate = 1e-3, double momentum = 0, double dampening = 0,
               double weightDecay = 0, bool nesterov = false)
        : base(parameterGroups, learningRate, weightDecay) => Configure(momentum, dampening, nesterov);

    public double Momentum { get; private set; }
    public double Dampening { get; private set; }
    public bool Nesterov { get; private set; }

    void Configure(double momentum, double dampening, bool nesterov)
    {
        CheckNonNegative(momentum, "momentum", nameof(momentum));
        if (!double.IsFinite(dampening)) throw new ArgumentOutOfRangeException(nameof(dampening), dampening, "dampening must be finite");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException($"Nesterov momentum needs momentum > 0 and dampening = 0 (got momentum {momentum}, dampening {dampening})", nameof(nesterov));
        Momentum = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
    }

    public override IReadOnlyDictionary<string, double> HyperParameters => new Dictionary<string, double>
    {
        ["momentum"] = Momentum,
        ["dampening"] = Dampening,
        ["nesterov"] = Nesterov ? 1 : 0,
    };

    protected override void LoadHyperParameters(IReadOnlyDictionary<string, double> values) =>
        Configure(values["momentum"], values["dampening"], values["nesterov"] != 0);

    protected override void Update(Tensor parameter, Tensor gradient, Slot slot, ParameterGroup group)
    {
        Tensor? buffer = null;
        bool first = false;
        if (Momentum != 0 && !slot.Buffers.TryGetValue(MomentumBuffer, out buffer))
        {
            // Like PyTorch, the buffer starts as a copy of the first step's direction, not as zeros.
            slot.Buffers[MomentumBuffer] = buffer = NewBuffer(parameter);
            first = true;
        }
        parameter.Backend.SgdStep(parameter.Storage.Buffer, parameter.Offset, gradient.Storage.Buffer, gradient.Offset,
            buffer?.Storage.Buffer, buffer?.Offset ?? 0, parameter.Numel,
            group.LearningRate, Momentum, Dampening, group.WeightDecay, Nesterov, first);
    }
}

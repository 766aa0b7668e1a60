using RawDiffusion.Ops;

namespace RawDiffusion;

public static partial class F
{
    /// <summary>Cross-entropy between unnormalised <paramref name="logits"/> [N, C] (or [N, C, d₁, …] with the class
    /// axis 1, or [C] for one sample) and <paramref name="targets"/>, as torch.nn.functional.cross_entropy:
    /// <list type="bullet">
    /// <item>Int32 targets [N] (or [N, d₁, …]) hold class indices; an index outside [0, C) is rejected.</item>
    /// <item>Floating targets of the logits' shape hold class probabilities (soft targets, e.g. a contrastive loss's
    /// similarity targets): loss = −Σ_c p_c·log softmax(x)_c; they receive a gradient too.</item>
    /// </list>
    /// <paramref name="labelSmoothing"/> s mixes the target with the uniform distribution: (1 − s)·target + s / C.
    /// <paramref name="reduction"/>: "mean" over the samples (and positions), "sum", or "none" (one loss per sample).</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, string reduction = "mean", double labelSmoothing = 0)
    {
        const string op = "cross_entropy";
        var mode = LossReductions.Parse(reduction, op);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, $"{op}: label smoothing must lie in [0, 1]");
        ClassScores.CheckScores(logits, op, nameof(logits));
        if (!ReferenceEquals(targets.Backend, logits.Backend))
            throw new ArgumentException($"{op}: targets live on {targets.Backend.Name}, logits on {logits.Backend.Name}", nameof(targets));
        if (targets.DType == DType.Int32)
        {
            ClassScores.CheckTargets(logits, targets, op);
            return NllLossFunction.Apply(LogSoftmax(ClassScores.ToRows(logits), -1), targets, mode, labelSmoothing, op);
        }
        if (!ShapeMath.SameShape(targets.Shape, logits.Shape) || targets.DType != logits.DType)
            throw new ArgumentException($"{op}: probability targets ({targets.DType} {ShapeMath.Format(targets.Shape)}) must have the logits' dtype and shape " +
                $"({logits.DType} {ShapeMath.Format(logits.Shape)}); class indices must be Int32", nameof(targets));
        int classAxis = logits.Rank == 1 ? 0 : 1, classes = logits.Shape[classAxis];
        var probabilities = labelSmoothing > 0 ? targets * (1 - labelSmoothing) + labelSmoothing / classes : targets;
        var perSample = (probabilities * LogSoftmax(logits, classAxis)).Sum([classAxis], keepDim: false) * -1;
        return mode switch
        {
            LossReduction.None => perSample,
            LossReduction.Sum => perSample.Sum(),
            _ => perSample.Sum() * (1.0 / perSample.Numel),
        };
    }

    /// <summary>Negative log-likelihood of <paramref name="logProbs"/> [N, C] (or [N, C, d₁, …], or [C]) at Int32 class
    /// indices <paramref name="targets"/> [N] (or [N, d₁, …], or a scalar): −logProbs[n, targets[n]], reduced as
    /// <paramref name="reduction"/> says ("mean", "sum", "none"). Use with <see cref="LogSoftmax"/>;
    /// <see cref="CrossEntropy"/> does both.</summary>
    public static Tensor NllLoss(Tensor logProbs, Tensor targets, string reduction = "mean")
    {
        const string op = "nll_loss";
        var mode = LossReductions.Parse(reduction, op);
        ClassScores.CheckScores(logProbs, op, nameof(logProbs));
        if (targets.DType != DType.Int32 || !ReferenceEquals(targets.Backend, logProbs.Backend))
            throw new ArgumentException($"{op}: targets must be Int32 class indices on {logProbs.Backend.Name}, got {targets.DType} on {targets.Backend.Name}", nameof(targets));
        ClassScores.CheckTargets(logProbs, targets, op);
        return NllLossFunction.Apply(ClassScores.ToRows(logProbs), targets, mode, 0, op);
    }
}

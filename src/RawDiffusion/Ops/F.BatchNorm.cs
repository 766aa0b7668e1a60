using RawDiffusion.Backends;
using RawDiffusion.Ops;

namespace RawDiffusion;

public static partial class F
{
    /// <summary>Batch normalisation of <paramref name="x"/> [N, C, *] per channel, as torch.nn.functional.batch_norm.
    /// Training (or no running statistics): the batch mean and biased variance normalise, and
    /// <paramref name="runningMean"/> / <paramref name="runningVar"/> ([C], when given) are updated in place as
    /// (1 − momentum)·running + momentum·batch, with the unbiased variance. Eval: the running statistics normalise
    /// (constants, no gradient through them). Then a per-channel <paramref name="weight"/> and <paramref name="bias"/>.</summary>
    public static Tensor BatchNorm(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
                                   bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        const string op = "batch_norm";
        Kernels.RequireFloating(x, op);
        if (x.Rank < 2) throw new ArgumentException($"{op}: input must be [N, C, *], got {ShapeMath.Format(x.Shape)}", nameof(x));
        int channels = x.Shape[1];
        if ((runningMean == null) != (runningVar == null))
            throw new ArgumentException($"{op}: give both running statistics or neither", runningMean == null ? nameof(runningMean) : nameof(runningVar));
        NormArguments.CheckPerChannel(runningMean, [channels], x, op, nameof(runningMean));
        NormArguments.CheckPerChannel(runningVar, [channels], x, op, nameof(runningVar));
        NormArguments.CheckPerChannel(weight, [channels], x, op, nameof(weight));
        NormArguments.CheckPerChannel(bias, [channels], x, op, nameof(bias));
        var layout = new NormLayout(x.Shape[0], channels, (int)ShapeMath.Numel(x.Shape[2..]), 1, SharedAcrossOuter: true);

        // The running statistics are copied, so a later training step's in-place update cannot change this graph's backward.
        if (!training && runningMean != null)
            return NormalizationFunction.Apply(x, weight, bias, layout, eps, (Kernels.Copy(runningMean), Kernels.Copy(runningVar!)), out _, out _);

        long count = layout.GroupCount;
        if (training && count <= 1)
            throw new ArgumentException($"{op}: training needs more than one value per channel, got input {ShapeMath.Format(x.Shape)}", nameof(x));
        var y = NormalizationFunction.Apply(x, weight, bias, layout, eps, null, out var mean, out var variance);
        if (training && runningMean != null)
        {
            NormArguments.UpdateRunning(runningMean, mean, momentum, 1);
            NormArguments.UpdateRunning(runningVar!, variance, momentum, (double)count / (count - 1));
        }
        return y;
    }
}

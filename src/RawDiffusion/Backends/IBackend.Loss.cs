namespace RawDiffusion.Backends;

public partial interface IBackend
{
    /// <summary>Negative log-likelihood of each row of contiguous log-probabilities [rows, classes] at its Int32 target
    /// [rows], with label smoothing s: loss[r] = −(1 − s)·logp[r, t_r] − (s / classes)·Σ_c logp[r, c].
    /// Returns −1 when every target lies in [0, classes), else the first row whose target does not
    /// (the losses are then unspecified).</summary>
    long NllLossRows(DeviceBuffer logProbs, long logProbsOffset, DeviceBuffer targets, long targetsOffset,
                     DeviceBuffer loss, long lossOffset, int rows, int classes, double smoothing);

    /// <summary>Gradient of <see cref="NllLossRows"/>: writes the whole block
    /// dlogp[r, c] = −scale·g[r·gradientStride]·((1 − s)·[c = t_r] + s / classes) (targets already validated).
    /// A gradientStride of 0 broadcasts one output gradient to every row (sum and mean reductions).</summary>
    void NllLossBackwardRows(DeviceBuffer targets, long targetsOffset, DeviceBuffer gradient, long gradientOffset, long gradientStride,
                             double scale, DeviceBuffer gradLogProbs, long gradLogProbsOffset, int rows, int classes, double smoothing);
}

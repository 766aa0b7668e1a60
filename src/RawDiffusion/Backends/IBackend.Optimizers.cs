namespace RawDiffusion.Backends;

/// <summary>Fused parameter updates: one pass over a parameter and its state per step (one kernel on a GPU),
/// instead of the half-dozen elementwise passes and temporaries the same rule costs when composed from ops.
/// All buffers are contiguous runs of <c>n</c> elements of one floating dtype starting at the given offsets;
/// scalars are host values.</summary>
public partial interface IBackend
{
    /// <summary>One Adam / AdamW step (torch.optim.Adam / AdamW semantics), updating param, expAvg and expAvgSq in place:
    /// <code>
    /// if decoupled: p *= 1 - lr·wd        else: g += wd·p
    /// m = m + (1 - β1)·(g - m);   v = β2·v + (1 - β2)·g²
    /// p -= lr / (1 - β1^step) · m / (sqrt(v) / sqrt(1 - β2^step) + eps)
    /// </code><paramref name="step"/> counts from 1 (this step included).</summary>
    void AdamStep(DeviceBuffer param, long paramOffset, DeviceBuffer grad, long gradOffset,
                  DeviceBuffer expAvg, long expAvgOffset, DeviceBuffer expAvgSq, long expAvgSqOffset, long n,
                  double lr, double beta1, double beta2, double eps, double weightDecay, bool decoupledWeightDecay, long step);

    /// <summary><see cref="AdamStep"/> for several parameters of one dtype and one set of hyper-parameters at once: one
    /// kernel launch per 64 parameters on a GPU instead of one per parameter (small networks have hundreds of small
    /// parameters, and each launch costs microseconds). The result is exactly that of calling
    /// <see cref="AdamStep"/> on each entry in turn, which is what the CPU does.</summary>
    void AdamStepMany(ReadOnlySpan<AdamTensors> tensors, double lr, double beta1, double beta2, double eps, double weightDecay,
                      bool decoupledWeightDecay);

    /// <summary>One SGD step (torch.optim.SGD semantics), updating param and, when momentum ≠ 0, the momentum buffer:
    /// <code>
    /// d = g + wd·p
    /// buf = first ? d : momentum·buf + (1 - dampening)·d;   d = nesterov ? d + momentum·buf : buf
    /// p -= lr·d
    /// </code><paramref name="momentumBuffer"/> is ignored (and may be null) when momentum is 0;
    /// <paramref name="firstStep"/> initialises it to d instead of reading it.</summary>
    void SgdStep(DeviceBuffer param, long paramOffset, DeviceBuffer grad, long gradOffset,
                 DeviceBuffer? momentumBuffer, long momentumOffset, long n,
                 double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool firstStep);

    /// <summary>Exponential moving average in place: average -= (1 - decay)·(average - source).</summary>
    void EmaUpdate(DeviceBuffer average, long averageOffset, DeviceBuffer source, long sourceOffset, long n, double decay);
}

/// <summary>One parameter of <see cref="IBackend.AdamStepMany"/>: its contiguous runs of <paramref name="Length"/>
/// elements (parameter, gradient, first and second moments) and the step it is at (counting from 1, this step included).</summary>
public readonly record struct AdamTensors(DeviceBuffer Param, long ParamOffset, DeviceBuffer Grad, long GradOffset,
                                          DeviceBuffer ExpAvg, long ExpAvgOffset, DeviceBuffer ExpAvgSq, long ExpAvgSqOffset,
                                          long Length, long Step);

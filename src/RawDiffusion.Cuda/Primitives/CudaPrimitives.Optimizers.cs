using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Cuda.Primitives;

/// <summary>Fused optimizer updates (kernels/optimizers.cu), with the signatures and semantics of
/// IBackend.Optimizers.cs on the train branch. Derived scalars are computed here in double, as the CPU backend
/// does, then rounded once to the element type.</summary>
internal sealed partial class CudaPrimitives
{
    /// <summary>One Adam / AdamW step over <paramref name="n"/> elements (torch.optim.Adam / AdamW semantics);
    /// <paramref name="step"/> counts from 1.</summary>
    public void AdamStep(DType dtype, nint param, nint grad, nint expAvg, nint expAvgSq, long n,
                         double lr, double beta1, double beta2, double eps, double weightDecay, bool decoupledWeightDecay, long step)
    {
        RequireFloating(dtype, nameof(AdamStep));
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, "AdamStep counts steps from 1");
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (n == 0) return;
        var arguments = new KernelArguments();
        arguments.Add(param);
        arguments.Add(grad);
        arguments.Add(expAvg);
        arguments.Add(expAvgSq);
        arguments.Add(n);
        AddScalar(ref arguments, dtype, decoupledWeightDecay ? 1 - lr * weightDecay : 1);
        AddScalar(ref arguments, dtype, decoupledWeightDecay ? 0 : weightDecay);
        AddScalar(ref arguments, dtype, 1 - beta1);
        AddScalar(ref arguments, dtype, beta2);
        AddScalar(ref arguments, dtype, 1 - beta2);
        AddScalar(ref arguments, dtype, lr / (1 - Math.Pow(beta1, step)));
        AddScalar(ref arguments, dtype, Math.Sqrt(1 - Math.Pow(beta2, step)));
        AddScalar(ref arguments, dtype, eps);
        launcher.Launch(Typed("adam_step", dtype), launcher.Linear(n), ref arguments);
    }

    /// <summary>One SGD step (torch.optim.SGD semantics); <paramref name="momentumBuffer"/> is ignored (may be 0)
    /// when momentum is 0, and initialised rather than read on <paramref name="firstStep"/>.</summary>
    public void SgdStep(DType dtype, nint param, nint grad, nint momentumBuffer, long n,
                        double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool firstStep)
    {
        RequireFloating(dtype, nameof(SgdStep));
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (momentum != 0 && momentumBuffer == 0) throw new ArgumentException("SgdStep with momentum needs a momentum buffer", nameof(momentumBuffer));
        if (n == 0) return;
        var arguments = new KernelArguments();
        arguments.Add(param);
        arguments.Add(grad);
        arguments.Add(momentumBuffer);
        arguments.Add(n);
        AddScalar(ref arguments, dtype, lr);
        AddScalar(ref arguments, dtype, momentum);
        AddScalar(ref arguments, dtype, 1 - dampening);
        AddScalar(ref arguments, dtype, weightDecay);
        arguments.Add(momentum != 0 ? 1 : 0);
        arguments.Add(nesterov ? 1 : 0);
        arguments.Add(firstStep ? 1 : 0);
        launcher.Launch(Typed("sgd_step", dtype), launcher.Linear(n), ref arguments);
    }

    /// <summary>average −= (1 − decay)·(average − source) over <paramref name="n"/> elements.</summary>
    public void EmaUpdate(DType dtype, nint average, nint source, long n, double decay)
    {
        RequireFloating(dtype, nameof(EmaUpdate));
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (n == 0) return;
        var arguments = new KernelArguments();
        arguments.Add(average);
        arguments.Add(source);
        arguments.Add(n);
        AddScalar(ref arguments, dtype, 1 - decay);
        launcher.Launch(Typed("ema_update", dtype), launcher.Linear(n), ref arguments);
    }
}

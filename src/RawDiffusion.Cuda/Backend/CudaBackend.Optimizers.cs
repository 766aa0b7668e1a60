using RawDiffusion.Backends;
using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Cuda;

/// <summary>Fused optimizer updates (kernels/optimizers.cu). Derived scalars are computed here in double, as the CPU
/// backend does, then rounded once to the element type.</summary>
public sealed partial class CudaBackend
{
    public void AdamStep(DeviceBuffer param, long paramOffset, DeviceBuffer grad, long gradOffset,
                         DeviceBuffer expAvg, long expAvgOffset, DeviceBuffer expAvgSq, long expAvgSqOffset, long n,
                         double lr, double beta1, double beta2, double eps, double weightDecay, bool decoupledWeightDecay, long step)
    {
        var dtype = UpdateDType(nameof(AdamStep), param, n);
        AdamStep(dtype, At(param, paramOffset, n, dtype), At(grad, gradOffset, n, dtype), At(expAvg, expAvgOffset, n, dtype),
            At(expAvgSq, expAvgSqOffset, n, dtype), n, lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay, step);
    }

    public void AdamStepMany(ReadOnlySpan<AdamTensors> tensors, double lr, double beta1, double beta2, double eps, double weightDecay,
                             bool decoupledWeightDecay)
    {
        if (tensors.IsEmpty) return;
        var dtype = UpdateDType(nameof(AdamStepMany), tensors[0].Param, tensors[0].Length);
        var list = new AdamTensorListArgument();
        long longest = 0;
        foreach (var t in tensors)
        {
            if (t.Step < 1) throw new ArgumentOutOfRangeException(nameof(tensors), t.Step, "AdamStepMany counts steps from 1");
            if (UpdateDType(nameof(AdamStepMany), t.Param, t.Length) != dtype)
                throw new ArgumentException($"AdamStepMany needs parameters of one dtype, got {dtype} and {t.Param.DType}", nameof(tensors));
            if (t.Length == 0) continue;
            list.Tensors[list.Count++] = new AdamTensorArgument
            {
                Param = At(t.Param, t.ParamOffset, t.Length, dtype),
                Grad = At(t.Grad, t.GradOffset, t.Length, dtype),
                ExpAvg = At(t.ExpAvg, t.ExpAvgOffset, t.Length, dtype),
                ExpAvgSq = At(t.ExpAvgSq, t.ExpAvgSqOffset, t.Length, dtype),
                Length = t.Length,
                StepSize = lr / (1 - Math.Pow(beta1, t.Step)),
                BiasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, t.Step)),
            };
            longest = Math.Max(longest, t.Length);
            if (list.Count == AdamTensorListArgument.Capacity)
            {
                AdamStepMany(dtype, ref list, longest, lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay);
                list.Count = 0;
                longest = 0;
            }
        }
        if (list.Count > 0) AdamStepMany(dtype, ref list, longest, lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay);
    }

    /// <summary>One launch of adam_step_many over the <paramref name="list"/>'s parameters: a row of blocks per parameter,
    /// as many as the longest needs (up to what fills the GPU); shorter parameters' blocks stop early.</summary>
    void AdamStepMany(DType dtype, ref AdamTensorListArgument list, long longest, double lr, double beta1, double beta2, double eps,
                      double weightDecay, bool decoupledWeightDecay)
    {
        var arguments = new KernelArguments();
        arguments.Add(list);
        AddScalar(ref arguments, dtype, decoupledWeightDecay ? 1 - lr * weightDecay : 1);
        AddScalar(ref arguments, dtype, decoupledWeightDecay ? 0 : weightDecay);
        AddScalar(ref arguments, dtype, 1 - beta1);
        AddScalar(ref arguments, dtype, beta2);
        AddScalar(ref arguments, dtype, 1 - beta2);
        AddScalar(ref arguments, dtype, eps);
        const int threads = 256;
        long blocks = Math.Clamp((longest + threads * 4 - 1) / (threads * 4), 1, (long)context.MultiprocessorCount * LaunchConfig.BlocksPerMultiprocessor);
        var config = new LaunchConfig(new Dim3((uint)blocks, (uint)list.Count), new Dim3(threads));
        launcher.Launch(Typed("adam_step_many", dtype), config, ref arguments);
    }

    public void SgdStep(DeviceBuffer param, long paramOffset, DeviceBuffer grad, long gradOffset,
                        DeviceBuffer? momentumBuffer, long momentumOffset, long n,
                        double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool firstStep)
    {
        var dtype = UpdateDType(nameof(SgdStep), param, n);
        if (momentum != 0 && momentumBuffer == null) throw new ArgumentNullException(nameof(momentumBuffer), "SgdStep with momentum needs a momentum buffer");
        nint buffer = momentum != 0 ? At(momentumBuffer!, momentumOffset, n, dtype) : 0;
        SgdStep(dtype, At(param, paramOffset, n, dtype), At(grad, gradOffset, n, dtype), buffer, n,
            lr, momentum, dampening, weightDecay, nesterov, firstStep);
    }

    public void EmaUpdate(DeviceBuffer average, long averageOffset, DeviceBuffer source, long sourceOffset, long n, double decay)
    {
        var dtype = UpdateDType(nameof(EmaUpdate), average, n);
        EmaUpdate(dtype, At(average, averageOffset, n, dtype), At(source, sourceOffset, n, dtype), n, decay);
    }

    static DType UpdateDType(string primitive, DeviceBuffer param, long n)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, $"{primitive}: negative element count");
        ArgumentNullException.ThrowIfNull(param);
        if (!param.DType.IsFloating()) throw new ArgumentException($"{primitive} needs floating-point buffers, got {param.DType}");
        return param.DType;
    }

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

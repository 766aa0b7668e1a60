using RawDiffusion.Backends;

namespace RawDiffusion.Cuda;

/// <summary>Fused optimizer steps: one kernel per parameter per step.</summary>
public sealed partial class CudaBackend
{
    public void AdamStep(DeviceBuffer param, long paramOffset, DeviceBuffer grad, long gradOffset,
                         DeviceBuffer expAvg, long expAvgOffset, DeviceBuffer expAvgSq, long expAvgSqOffset, long n,
                         double lr, double beta1, double beta2, double eps, double weightDecay, bool decoupledWeightDecay, long step)
    {
        var dtype = UpdateDType(nameof(AdamStep), param, n);
        Primitives.AdamStep(dtype, At(param, paramOffset, n, dtype), At(grad, gradOffset, n, dtype), At(expAvg, expAvgOffset, n, dtype),
            At(expAvgSq, expAvgSqOffset, n, dtype), n, lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay, step);
    }

    public void SgdStep(DeviceBuffer param, long paramOffset, DeviceBuffer grad, long gradOffset,
                        DeviceBuffer? momentumBuffer, long momentumOffset, long n,
                        double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool firstStep)
    {
        var dtype = UpdateDType(nameof(SgdStep), param, n);
        if (momentum != 0 && momentumBuffer == null) throw new ArgumentNullException(nameof(momentumBuffer), "SgdStep with momentum needs a momentum buffer");
        nint buffer = momentum != 0 ? At(momentumBuffer!, momentumOffset, n, dtype) : 0;
        Primitives.SgdStep(dtype, At(param, paramOffset, n, dtype), At(grad, gradOffset, n, dtype), buffer, n,
            lr, momentum, dampening, weightDecay, nesterov, firstStep);
    }

    public void EmaUpdate(DeviceBuffer average, long averageOffset, DeviceBuffer source, long sourceOffset, long n, double decay)
    {
        var dtype = UpdateDType(nameof(EmaUpdate), average, n);
        Primitives.EmaUpdate(dtype, At(average, averageOffset, n, dtype), At(source, sourceOffset, n, dtype), n, decay);
    }

    static DType UpdateDType(string primitive, DeviceBuffer param, long n)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, $"{primitive}: negative element count");
        ArgumentNullException.ThrowIfNull(param);
        if (!param.DType.IsFloating()) throw new ArgumentException($"{primitive} needs floating-point buffers, got {param.DType}");
        return param.DType;
    }
}

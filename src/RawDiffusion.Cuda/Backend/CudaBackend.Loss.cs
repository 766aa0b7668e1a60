using RawDiffusion.Backends;

namespace RawDiffusion.Cuda;

/// <summary>Negative log-likelihood rows, forward and backward.</summary>
public sealed partial class CudaBackend
{
    /// <summary>Waits for the kernel to learn whether every target was valid.</summary>
    public long NllLossRows(DeviceBuffer logProbs, long logProbsOffset, DeviceBuffer targets, long targetsOffset,
                            DeviceBuffer loss, long lossOffset, int rows, int classes, double smoothing)
    {
        var dtype = FloatingDType(loss, "the NLL loss");
        return Primitives.NllLossRows(dtype, At(logProbs, logProbsOffset, (long)rows * classes, dtype), At(targets, targetsOffset, rows, DType.Int32),
            At(loss, lossOffset, rows, dtype), rows, classes, smoothing);
    }

    public void NllLossBackwardRows(DeviceBuffer targets, long targetsOffset, DeviceBuffer gradient, long gradientOffset, long gradientStride,
                                    double scale, DeviceBuffer gradLogProbs, long gradLogProbsOffset, int rows, int classes, double smoothing)
    {
        var dtype = FloatingDType(gradLogProbs, "the NLL loss");
        long gradients = rows == 0 ? 0 : (rows - 1) * gradientStride + 1;
        Primitives.NllLossBackwardRows(dtype, At(targets, targetsOffset, rows, DType.Int32), At(gradient, gradientOffset, gradients, dtype), gradientStride,
            scale, At(gradLogProbs, gradLogProbsOffset, (long)rows * classes, dtype), rows, classes, smoothing);
    }
}

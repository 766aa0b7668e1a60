using RawDiffusion.Backends;

namespace RawDiffusion.Cuda;

/// <summary>Softmax and log-softmax rows, forward and backward.</summary>
public sealed partial class CudaBackend
{
    public void SoftmaxRows(DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset, int rows, int n, bool log)
    {
        var dtype = FloatingDType(y, "softmax");
        long count = (long)rows * n;
        Primitives.SoftmaxRows(dtype, At(x, xOffset, count, dtype), At(y, yOffset, count, dtype), rows, n, log);
    }

    public void SoftmaxBackwardRows(DeviceBuffer y, long yOffset, DeviceBuffer gradient, long gradientOffset,
                                    DeviceBuffer dx, long dxOffset, int rows, int n, bool log)
    {
        var dtype = FloatingDType(dx, "softmax");
        long count = (long)rows * n;
        Primitives.SoftmaxBackwardRows(dtype, At(y, yOffset, count, dtype), At(gradient, gradientOffset, count, dtype), At(dx, dxOffset, count, dtype), rows, n, log);
    }
}

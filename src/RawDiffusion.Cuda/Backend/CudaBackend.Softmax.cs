using RawDiffusion.Backends;
using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Cuda;

/// <summary>Softmax and log-softmax of contiguous rows, forward and backward (kernels/softmax.cu).</summary>
public sealed partial class CudaBackend
{
    public void SoftmaxRows(DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset, int rows, int n, bool log)
    {
        var dtype = FloatingDType(y, "softmax");
        long count = (long)rows * n;
        SoftmaxRows(dtype, At(x, xOffset, count, dtype), At(y, yOffset, count, dtype), rows, n, log);
    }

    public void SoftmaxBackwardRows(DeviceBuffer y, long yOffset, DeviceBuffer gradient, long gradientOffset,
                                    DeviceBuffer dx, long dxOffset, int rows, int n, bool log)
    {
        var dtype = FloatingDType(dx, "softmax");
        long count = (long)rows * n;
        SoftmaxBackwardRows(dtype, At(y, yOffset, count, dtype), At(gradient, gradientOffset, count, dtype), At(dx, dxOffset, count, dtype), rows, n, log);
    }

    /// <summary>y = softmax(x) (or log-softmax) of each row of [rows, n]; y may be x.</summary>
    public void SoftmaxRows(DType dtype, nint x, nint y, int rows, int n, bool log)
    {
        RequireFloating(dtype, nameof(SoftmaxRows));
        RequireRows(rows, n);
        if (rows == 0 || n == 0) return;
        var arguments = new KernelArguments();
        arguments.Add(x);
        arguments.Add(y);
        arguments.Add(rows);
        arguments.Add(n);
        arguments.Add(log ? 1 : 0);
        launcher.Launch(Typed("softmax_rows", dtype), RowTiles(rows, n), ref arguments);
    }

    /// <summary>dx from the saved output y and the output gradient g, all [rows, n]; dx may be g.</summary>
    public void SoftmaxBackwardRows(DType dtype, nint y, nint gradient, nint dx, int rows, int n, bool log)
    {
        RequireFloating(dtype, nameof(SoftmaxBackwardRows));
        RequireRows(rows, n);
        if (rows == 0 || n == 0) return;
        var arguments = new KernelArguments();
        arguments.Add(y);
        arguments.Add(gradient);
        arguments.Add(dx);
        arguments.Add(rows);
        arguments.Add(n);
        arguments.Add(log ? 1 : 0);
        launcher.Launch(Typed("softmax_backward_rows", dtype), RowTiles(rows, n), ref arguments);
    }

    static void RequireRows(int rows, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
    }
}

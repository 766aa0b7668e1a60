using RawDiffusion.Backends;
using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Cuda;

/// <summary>Max and sum pooling over contiguous planes, forward and backward (kernels/pooling.cu). Every kernel has
/// one thread per element it writes; the backward passes gather, so no output needs clearing first.</summary>
public sealed partial class CudaBackend
{
    public void MaxPool2d(DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset, DeviceBuffer indices, long indicesOffset,
                          in Pool2dGeometry geometry, int planes)
    {
        var dtype = FloatingDType(x, nameof(MaxPool2d));
        long inputs = planes * geometry.InputPlane, outputs = planes * geometry.OutputPlane;
        MaxPool2d(dtype, At(x, xOffset, inputs, dtype), At(y, yOffset, outputs, dtype), At(indices, indicesOffset, outputs, DType.Int32), geometry, planes);
    }

    public void MaxPool2dBackward(DeviceBuffer gradY, long gradYOffset, DeviceBuffer indices, long indicesOffset,
                                  DeviceBuffer gradX, long gradXOffset, in Pool2dGeometry geometry, int planes)
    {
        var dtype = FloatingDType(gradY, nameof(MaxPool2dBackward));
        long inputs = planes * geometry.InputPlane, outputs = planes * geometry.OutputPlane;
        MaxPool2dBackward(dtype, At(gradY, gradYOffset, outputs, dtype), At(indices, indicesOffset, outputs, DType.Int32),
            At(gradX, gradXOffset, inputs, dtype), geometry, planes);
    }

    public void SumPool2d(DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset, in Pool2dGeometry geometry, int planes, double scale)
    {
        var dtype = FloatingDType(x, nameof(SumPool2d));
        SumPool2d(dtype, At(x, xOffset, planes * geometry.InputPlane, dtype), At(y, yOffset, planes * geometry.OutputPlane, dtype), geometry, planes, scale);
    }

    public void SumPool2dBackward(DeviceBuffer gradY, long gradYOffset, DeviceBuffer gradX, long gradXOffset, in Pool2dGeometry geometry, int planes, double scale)
    {
        var dtype = FloatingDType(gradY, nameof(SumPool2dBackward));
        SumPool2dBackward(dtype, At(gradY, gradYOffset, planes * geometry.OutputPlane, dtype),
            At(gradX, gradXOffset, planes * geometry.InputPlane, dtype), geometry, planes, scale);
    }

    /// <summary>y and Int32 indices [planes, OutputHeight, OutputWidth]: each window's maximum and its position.</summary>
    public void MaxPool2d(DType dtype, nint x, nint y, nint indices, in Pool2dGeometry geometry, int planes)
    {
        RequireFloating(dtype, nameof(MaxPool2d));
        long outputs = CheckPooling(geometry, planes) * geometry.OutputPlane;
        if (outputs == 0) return;
        var arguments = new KernelArguments();
        arguments.Add(x);
        arguments.Add(y);
        arguments.Add(indices);
        arguments.Add(PoolingGeometry.From(geometry));
        arguments.Add(planes);
        launcher.Launch(Typed("max_pool2d", dtype), launcher.Linear(outputs), ref arguments);
    }

    /// <summary>gradX [planes, Height, Width] = the output gradients routed to their recorded maxima, 0 elsewhere.</summary>
    public void MaxPool2dBackward(DType dtype, nint gradY, nint indices, nint gradX, in Pool2dGeometry geometry, int planes)
    {
        RequireFloating(dtype, nameof(MaxPool2dBackward));
        long pixels = CheckPooling(geometry, planes) * geometry.InputPlane;
        if (pixels == 0) return;
        var arguments = new KernelArguments();
        arguments.Add(gradY);
        arguments.Add(indices);
        arguments.Add(gradX);
        arguments.Add(PoolingGeometry.From(geometry));
        arguments.Add(planes);
        launcher.Launch(Typed("max_pool2d_backward", dtype), launcher.Linear(pixels), ref arguments);
    }

    /// <summary>y = scale · the sum of each window.</summary>
    public void SumPool2d(DType dtype, nint x, nint y, in Pool2dGeometry geometry, int planes, double scale)
    {
        RequireFloating(dtype, nameof(SumPool2d));
        long outputs = CheckPooling(geometry, planes) * geometry.OutputPlane;
        if (outputs == 0) return;
        LaunchSumPool(Typed("sum_pool2d", dtype), dtype, x, y, geometry, planes, scale, outputs);
    }

    /// <summary>gradX = scale · the sum of the output gradients of the windows covering each pixel.</summary>
    public void SumPool2dBackward(DType dtype, nint gradY, nint gradX, in Pool2dGeometry geometry, int planes, double scale)
    {
        RequireFloating(dtype, nameof(SumPool2dBackward));
        long pixels = CheckPooling(geometry, planes) * geometry.InputPlane;
        if (pixels == 0) return;
        LaunchSumPool(Typed("sum_pool2d_backward", dtype), dtype, gradY, gradX, geometry, planes, scale, pixels);
    }

    void LaunchSumPool(string kernel, DType dtype, nint source, nint destination, in Pool2dGeometry geometry, int planes, double scale, long workItems)
    {
        var arguments = new KernelArguments();
        arguments.Add(source);
        arguments.Add(destination);
        arguments.Add(PoolingGeometry.From(geometry));
        arguments.Add(planes);
        AddScalar(ref arguments, dtype, scale);
        launcher.Launch(kernel, launcher.Linear(workItems), ref arguments);
    }

    /// <summary>Validates the geometry and returns the plane count as a long.</summary>
    static long CheckPooling(in Pool2dGeometry g, int planes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(planes);
        if (g.Height < 0 || g.Width < 0 || g.KernelHeight <= 0 || g.KernelWidth <= 0 || g.StrideHeight <= 0 || g.StrideWidth <= 0 || g.PadHeight < 0 || g.PadWidth < 0)
            throw new ArgumentException($"invalid pooling geometry {g}", nameof(g));
        return planes;
    }
}

using System.Runtime.InteropServices;
using RawDiffusion.Backends;
using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Cuda.Primitives;

/// <summary>The PoolGeometry struct of kernels/pooling.cu, byte for byte (10 ints; the .cu side asserts the size).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct PoolingGeometry(
    int Height, int Width, int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int PadHeight, int PadWidth,
    int OutputHeight, int OutputWidth)
{
    public static PoolingGeometry From(in Pool2dGeometry g) => new(
        g.Height, g.Width, g.KernelHeight, g.KernelWidth, g.StrideHeight, g.StrideWidth, g.PadHeight, g.PadWidth, g.OutputHeight, g.OutputWidth);
}

/// <summary>Max and sum pooling over contiguous planes, forward and backward (kernels/pooling.cu). Every kernel has
/// one thread per element it writes; the backward passes gather, so no output needs clearing first.</summary>
internal sealed partial class CudaPrimitives
{
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

using System.Runtime.InteropServices;
using RawDiffusion.Backends;
using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Cuda.Primitives;

/// <summary>The ConvGeometry struct of kernels/convolution.cu, byte for byte (13 ints; the .cu side asserts the size).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct ConvolutionGeometry(
    int Channels, int Height, int Width,
    int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int PadHeight, int PadWidth, int DilationHeight, int DilationWidth,
    int OutputHeight, int OutputWidth)
{
    public static ConvolutionGeometry From(in Conv2dGeometry g) => new(
        g.Channels, g.Height, g.Width, g.KernelHeight, g.KernelWidth, g.StrideHeight, g.StrideWidth, g.PadHeight, g.PadWidth,
        g.DilationHeight, g.DilationWidth, g.OutputHeight, g.OutputWidth);
}

/// <summary>im2col and its adjoint col2im (kernels/convolution.cu).</summary>
internal sealed partial class CudaPrimitives
{
    /// <summary>The column matrix [ColumnRows, images, OutputPlane] of a contiguous [images, Channels, Height, Width] block.</summary>
    public void Im2Col(DType dtype, nint image, nint columns, in Conv2dGeometry geometry, int images)
    {
        RequireFloating(dtype, nameof(Im2Col));
        CheckConvolution(geometry, images);
        long entries = geometry.ColumnRows * (long)images * geometry.OutputPlane;
        if (entries == 0) return;
        LaunchConvolution(Typed("im2col", dtype), image, columns, geometry, images, entries);
    }

    /// <summary>Overwrites the image block with the sums of the column entries that read each pixel.</summary>
    public void Col2Im(DType dtype, nint columns, nint image, in Conv2dGeometry geometry, int images)
    {
        RequireFloating(dtype, nameof(Col2Im));
        CheckConvolution(geometry, images);
        long pixels = (long)images * geometry.Channels * geometry.InputPlane;
        if (pixels == 0) return;
        LaunchConvolution(Typed("col2im", dtype), columns, image, geometry, images, pixels);
    }

    void LaunchConvolution(string kernel, nint source, nint destination, in Conv2dGeometry geometry, int images, long workItems)
    {
        var arguments = new KernelArguments();
        arguments.Add(source);
        arguments.Add(destination);
        arguments.Add(ConvolutionGeometry.From(geometry));
        arguments.Add(images);
        launcher.Launch(kernel, launcher.Linear(workItems), ref arguments);
    }

    static void CheckConvolution(in Conv2dGeometry g, int images)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(images);
        if (g.Channels < 0 || g.Height < 0 || g.Width < 0 || g.KernelHeight <= 0 || g.KernelWidth <= 0 || g.StrideHeight <= 0 || g.StrideWidth <= 0
            || g.PadHeight < 0 || g.PadWidth < 0 || g.DilationHeight <= 0 || g.DilationWidth <= 0)
            throw new ArgumentException($"invalid convolution geometry {g}", nameof(g));
    }
}

using RawDiffusion.Backends;
using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Cuda;

/// <summary>im2col and its adjoint col2im (kernels/convolution.cu), for convolutions lowered to cuBLAS products.</summary>
public sealed partial class CudaBackend
{
    public void Im2Col(DeviceBuffer image, long imageOffset, DeviceBuffer columns, long columnsOffset, in Conv2dGeometry geometry, int images)
    {
        var dtype = FloatingDType(image, nameof(Im2Col));
        Im2Col(dtype, At(image, imageOffset, ImageElements(geometry, images), dtype),
            At(columns, columnsOffset, ColumnElements(geometry, images), dtype), geometry, images);
    }

    public void Col2Im(DeviceBuffer columns, long columnsOffset, DeviceBuffer image, long imageOffset, in Conv2dGeometry geometry, int images)
    {
        var dtype = FloatingDType(image, nameof(Col2Im));
        Col2Im(dtype, At(columns, columnsOffset, ColumnElements(geometry, images), dtype),
            At(image, imageOffset, ImageElements(geometry, images), dtype), geometry, images);
    }

    static long ImageElements(in Conv2dGeometry g, int images) => (long)images * g.Channels * g.InputPlane;

    static long ColumnElements(in Conv2dGeometry g, int images) => (long)g.ColumnRows * images * g.OutputPlane;

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

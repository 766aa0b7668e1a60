namespace RawDiffusion.Backends;

/// <summary>The shape of one 2-D convolution as seen by im2col/col2im: the input planes, the kernel window and how
/// it moves. A 1-D convolution is the case Height = KernelHeight = 1.</summary>
public readonly record struct Conv2dGeometry(
    int Channels, int Height, int Width,
    int KernelHeight, int KernelWidth,
    int StrideHeight, int StrideWidth,
    int PadHeight, int PadWidth,
    int DilationHeight, int DilationWidth)
{
    /// <summary>Window positions along the height; 0 when the dilated kernel does not fit the padded input.</summary>
    public int OutputHeight => Positions(Height, KernelHeight, StrideHeight, PadHeight, DilationHeight);
    public int OutputWidth => Positions(Width, KernelWidth, StrideWidth, PadWidth, DilationWidth);

    /// <summary>Rows of the column matrix: one per (channel, kernel row, kernel column).</summary>
    public int ColumnRows => Channels * KernelHeight * KernelWidth;

    public long InputPlane => (long)Height * Width;
    public long OutputPlane => (long)OutputHeight * OutputWidth;

    /// <summary>A 1x1 kernel with stride 1 and no padding reads each input pixel exactly once, so the image itself
    /// is its column matrix and im2col can be skipped.</summary>
    public bool IsPointwise => KernelHeight == 1 && KernelWidth == 1 && StrideHeight == 1 && StrideWidth == 1 && PadHeight == 0 && PadWidth == 0;

    static int Positions(int size, int kernel, int stride, int pad, int dilation)
    {
        long span = (long)size + 2L * pad - (long)dilation * (kernel - 1) - 1;
        return span < 0 ? 0 : (int)(span / stride + 1);
    }
}

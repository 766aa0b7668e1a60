namespace RawDiffusion.Backends;

/// <summary>The shape of a 2-D pooling window over [Height, Width] planes (1-D pooling is Height = KernelHeight = 1).
/// Padding is implicit: it never appears in memory.</summary>
public readonly record struct Pool2dGeometry(
    int Height, int Width,
    int KernelHeight, int KernelWidth,
    int StrideHeight, int StrideWidth,
    int PadHeight, int PadWidth)
{
    /// <summary>Window positions along the height (floor mode); 0 when the window does not fit the padded input.</summary>
    public int OutputHeight => Positions(Height, KernelHeight, StrideHeight, PadHeight);
    public int OutputWidth => Positions(Width, KernelWidth, StrideWidth, PadWidth);

    public long InputPlane => (long)Height * Width;
    public long OutputPlane => (long)OutputHeight * OutputWidth;

    /// <summary>Windows tile the input without overlap or padding (2x2 pooling, nearest upsampling), so each input
    /// pixel belongs to at most one window.</summary>
    public bool IsTiling => KernelHeight == StrideHeight && KernelWidth == StrideWidth && PadHeight == 0 && PadWidth == 0;

    static int Positions(int size, int kernel, int stride, int pad)
    {
        long span = (long)size + 2L * pad - kernel;
        return span < 0 ? 0 : (int)(span / stride + 1);
    }
}

namespace RawDiffusion.Backends;

/// <summary>Pooling over contiguous blocks of planes [planes, Height, Width] (planes = N·C). Window positions follow
/// <see cref="Pool2dGeometry"/>; padded positions are never read. Sum pooling covers average pooling
/// (scale = 1 / window size, padding counted as zeros) and, through its backward, nearest-neighbour upsampling
/// (kernel = stride = the scale factor).</summary>
public partial interface IBackend
{
    /// <summary>y[p, oh, ow] = the maximum of x over the window and indices[p, oh, ow] = ih·Width + iw of it (the first
    /// maximum; a NaN counts as the maximum so it propagates). indices is an Int32 buffer.</summary>
    void MaxPool2d(DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset, DeviceBuffer indices, long indicesOffset,
                   in Pool2dGeometry geometry, int planes);

    /// <summary>gradX[p, indices[p, o]] += gradY[p, o] for every output o, zero elsewhere (gradX is overwritten).</summary>
    void MaxPool2dBackward(DeviceBuffer gradY, long gradYOffset, DeviceBuffer indices, long indicesOffset,
                           DeviceBuffer gradX, long gradXOffset, in Pool2dGeometry geometry, int planes);

    /// <summary>y[p, oh, ow] = scale · Σ x over the window.</summary>
    void SumPool2d(DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset, in Pool2dGeometry geometry, int planes, double scale);

    /// <summary>gradX[p, ih, iw] = scale · Σ gradY[p, oh, ow] over the windows that contain (ih, iw) (gradX is overwritten).</summary>
    void SumPool2dBackward(DeviceBuffer gradY, long gradYOffset, DeviceBuffer gradX, long gradXOffset, in Pool2dGeometry geometry, int planes, double scale);
}

namespace RawDiffusion.Backends;

/// <summary>Lowering of convolutions to GEMM. The column matrix of a run of images is laid out [ColumnRows, images,
/// OutputPlane]: row (c, i, j) holds, for every image and output pixel, the input pixel that kernel tap (i, j) of
/// channel c reads. This layout serves both products: per image (leading dimension images * OutputPlane) for the
/// forward pass, and one long product over all images of the run for the weight gradient.</summary>
public partial interface IBackend
{
    /// <summary>columns[(c·kh + i)·kw + j, n, oh·Wo + ow] = image[n, c, oh·sh − ph + i·dh, ow·sw − pw + j·dw], 0 where that
    /// falls in the padding; image is a contiguous [images, Channels, Height, Width] block.</summary>
    void Im2Col(DeviceBuffer image, long imageOffset, DeviceBuffer columns, long columnsOffset, in Conv2dGeometry geometry, int images);

    /// <summary>The adjoint of <see cref="Im2Col"/>: each image pixel is set to the sum of the column entries that read it
    /// (the image block is overwritten, not accumulated into).</summary>
    void Col2Im(DeviceBuffer columns, long columnsOffset, DeviceBuffer image, long imageOffset, in Conv2dGeometry geometry, int images);
}

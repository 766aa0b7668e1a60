using RawDiffusion.Backends;

namespace RawDiffusion.Cuda;

/// <summary>im2col and col2im for convolutions lowered to cuBLAS products.</summary>
public sealed partial class CudaBackend
{
    public void Im2Col(DeviceBuffer image, long imageOffset, DeviceBuffer columns, long columnsOffset, in Conv2dGeometry geometry, int images)
    {
        var dtype = FloatingDType(image, nameof(Im2Col));
        Primitives.Im2Col(dtype, At(image, imageOffset, ImageElements(geometry, images), dtype),
            At(columns, columnsOffset, ColumnElements(geometry, images), dtype), geometry, images);
    }

    public void Col2Im(DeviceBuffer columns, long columnsOffset, DeviceBuffer image, long imageOffset, in Conv2dGeometry geometry, int images)
    {
        var dtype = FloatingDType(image, nameof(Col2Im));
        Primitives.Col2Im(dtype, At(columns, columnsOffset, ColumnElements(geometry, images), dtype),
            At(image, imageOffset, ImageElements(geometry, images), dtype), geometry, images);
    }

    static long ImageElements(in Conv2dGeometry g, int images) => (long)images * g.Channels * g.InputPlane;

    static long ColumnElements(in Conv2dGeometry g, int images) => (long)g.ColumnRows * images * g.OutputPlane;
}

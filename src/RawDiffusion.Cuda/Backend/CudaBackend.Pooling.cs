using RawDiffusion.Backends;

namespace RawDiffusion.Cuda;

/// <summary>Max and sum pooling, forward and backward.</summary>
public sealed partial class CudaBackend
{
    public void MaxPool2d(DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset, DeviceBuffer indices, long indicesOffset,
                          in Pool2dGeometry geometry, int planes)
    {
        var dtype = FloatingDType(x, nameof(MaxPool2d));
        long inputs = planes * geometry.InputPlane, outputs = planes * geometry.OutputPlane;
        Primitives.MaxPool2d(dtype, At(x, xOffset, inputs, dtype), At(y, yOffset, outputs, dtype), At(indices, indicesOffset, outputs, DType.Int32), geometry, planes);
    }

    public void MaxPool2dBackward(DeviceBuffer gradY, long gradYOffset, DeviceBuffer indices, long indicesOffset,
                                  DeviceBuffer gradX, long gradXOffset, in Pool2dGeometry geometry, int planes)
    {
        var dtype = FloatingDType(gradY, nameof(MaxPool2dBackward));
        long inputs = planes * geometry.InputPlane, outputs = planes * geometry.OutputPlane;
        Primitives.MaxPool2dBackward(dtype, At(gradY, gradYOffset, outputs, dtype), At(indices, indicesOffset, outputs, DType.Int32),
            At(gradX, gradXOffset, inputs, dtype), geometry, planes);
    }

    public void SumPool2d(DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset, in Pool2dGeometry geometry, int planes, double scale)
    {
        var dtype = FloatingDType(x, nameof(SumPool2d));
        Primitives.SumPool2d(dtype, At(x, xOffset, planes * geometry.InputPlane, dtype), At(y, yOffset, planes * geometry.OutputPlane, dtype), geometry, planes, scale);
    }

    public void SumPool2dBackward(DeviceBuffer gradY, long gradYOffset, DeviceBuffer gradX, long gradXOffset, in Pool2dGeometry geometry, int planes, double scale)
    {
        var dtype = FloatingDType(gradY, nameof(SumPool2dBackward));
        Primitives.SumPool2dBackward(dtype, At(gradY, gradYOffset, planes * geometry.OutputPlane, dtype),
            At(gradX, gradXOffset, planes * geometry.InputPlane, dtype), geometry, planes, scale);
    }
}

namespace RawDiffusion.Backends.Cpu;

internal sealed partial class CpuBackend
{
    public unsafe bool TryConvolutionForward(DeviceBuffer image, long imageOffset, DeviceBuffer weight, long weightOffset,
                                             DeviceBuffer output, long outputOffset, in Conv2dGeometry geometry, int images, int outChannels, int groups)
    {
        if (!DirectConvolutionGemm.Supports(image.DType, geometry, groups)) return false;
        fixed (float* x = Cpu(image).Array<float>(), w = Cpu(weight).Array<float>(), y = Cpu(output).Array<float>())
            DirectConvolutionGemm.Forward(x + imageOffset, w + weightOffset, y + outputOffset, geometry, images, outChannels);
        return true;
    }

    public unsafe bool TryConvolutionInputGradient(DeviceBuffer outputGradient, long outputGradientOffset, DeviceBuffer weight, long weightOffset,
                                                   DeviceBuffer imageGradient, long imageGradientOffset, in Conv2dGeometry geometry, int images, int outChannels, int groups)
    {
        if (!DirectConvolutionGemm.Supports(outputGradient.DType, geometry, groups)) return false;
        fixed (float* dy = Cpu(outputGradient).Array<float>(), w = Cpu(weight).Array<float>(), dx = Cpu(imageGradient).Array<float>())
            DirectConvolutionGemm.InputGradient(dy + outputGradientOffset, w + weightOffset, dx + imageGradientOffset, geometry, images, outChannels);
        return true;
    }

    public unsafe bool TryConvolutionWeightGradient(DeviceBuffer outputGradient, long outputGradientOffset, DeviceBuffer image, long imageOffset,
                                                    DeviceBuffer weightGradient, long weightGradientOffset, in Conv2dGeometry geometry, int images, int outChannels, int groups)
    {
        if (!DirectConvolutionGemm.Supports(outputGradient.DType, geometry, groups)) return false;
        fixed (float* dy = Cpu(outputGradient).Array<float>(), x = Cpu(image).Array<float>(), dw = Cpu(weightGradient).Array<float>())
            DirectConvolutionGemm.WeightGradient(dy + outputGradientOffset, x + imageOffset, dw + weightGradientOffset, geometry, images, outChannels);
        return true;
    }
}

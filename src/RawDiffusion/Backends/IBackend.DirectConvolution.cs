namespace RawDiffusion.Backends;

/// <summary>Optional direct convolution kernels: the three products of a convolution (forward, input gradient,
/// weight gradient) computed without writing the column matrix of <see cref="Im2Col"/> to memory. The column matrix
/// is the image read about kh·kw times over, so lowering through it moves most of a convolution's memory traffic;
/// a direct kernel builds each piece of it where the product consumes it.
/// <para>All tensors are contiguous: image [images, Channels, Height, Width], weight [outChannels, Channels/groups,
/// kh, kw], output [images, outChannels, OutputHeight, OutputWidth]. Each method returns false, having written nothing,
/// when the backend has no kernel for these arguments (dtype, geometry, groups); the caller then lowers the
/// convolution to <see cref="Im2Col"/>, <see cref="Col2Im"/> and <see cref="Gemm"/>, which every backend has.</para></summary>
public partial interface IBackend
{
    /// <summary>output = conv(image, weight), without bias; the output is overwritten.</summary>
    bool TryConvolutionForward(DeviceBuffer image, long imageOffset, DeviceBuffer weight, long weightOffset,
                               DeviceBuffer output, long outputOffset, in Conv2dGeometry geometry, int images, int outChannels, int groups) => false;

    /// <summary>imageGradient = the gradient of conv(image, weight) with respect to the image, for the output gradient
    /// <paramref name="outputGradient"/>; the image gradient is overwritten.</summary>
    bool TryConvolutionInputGradient(DeviceBuffer outputGradient, long outputGradientOffset, DeviceBuffer weight, long weightOffset,
                                     DeviceBuffer imageGradient, long imageGradientOffset, in Conv2dGeometry geometry, int images, int outChannels, int groups) => false;

    /// <summary>weightGradient = Σ over images and output pixels of outputGradient ⊗ the image patch it saw; the weight
    /// gradient is overwritten.</summary>
    bool TryConvolutionWeightGradient(DeviceBuffer outputGradient, long outputGradientOffset, DeviceBuffer image, long imageOffset,
                                      DeviceBuffer weightGradient, long weightGradientOffset, in Conv2dGeometry geometry, int images, int outChannels, int groups) => false;
}

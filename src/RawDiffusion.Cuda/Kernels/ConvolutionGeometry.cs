using System.Runtime.InteropServices;
using RawDiffusion.Backends;

namespace RawDiffusion.Cuda.Kernels;

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

using System.Runtime.InteropServices;
using RawDiffusion.Backends;

namespace RawDiffusion.Cuda.Kernels;

/// <summary>The PoolGeometry struct of kernels/pooling.cu, byte for byte (10 ints; the .cu side asserts the size).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct PoolingGeometry(
    int Height, int Width, int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int PadHeight, int PadWidth,
    int OutputHeight, int OutputWidth)
{
    public static PoolingGeometry From(in Pool2dGeometry g) => new(
        g.Height, g.Width, g.KernelHeight, g.KernelWidth, g.StrideHeight, g.StrideWidth, g.PadHeight, g.PadWidth, g.OutputHeight, g.OutputWidth);
}

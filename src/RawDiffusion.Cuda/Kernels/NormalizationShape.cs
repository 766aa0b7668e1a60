using System.Runtime.InteropServices;
using RawDiffusion.Backends;

namespace RawDiffusion.Cuda.Kernels;

/// <summary>The NormShape struct of kernels/normalization.cu, byte for byte (5 ints; the .cu side asserts the size).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct NormalizationShape(int Outer, int Channels, int Inner, int GroupSize, int SharedAcrossOuter)
{
    public static NormalizationShape From(NormLayout layout) =>
        new(layout.Outer, layout.Channels, layout.Inner, layout.GroupSize, layout.SharedAcrossOuter ? 1 : 0);
}

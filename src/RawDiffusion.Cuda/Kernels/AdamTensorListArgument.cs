using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawDiffusion.Cuda.Kernels;

/// <summary>The AdamTensor struct of kernels/optimizers.cu, byte for byte (56 bytes; the .cu side asserts the size).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AdamTensorArgument
{
    public nint Param, Grad, ExpAvg, ExpAvgSq;
    public long Length;
    public double StepSize, BiasCorrection2Sqrt;
}

/// <summary>The AdamTensorList struct of kernels/optimizers.cu (3,592 bytes): up to <see cref="Capacity"/> parameters
/// of one multi-tensor Adam launch, passed by value in the kernel's parameter space.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AdamTensorListArgument
{
    /// <summary>ADAM_TENSORS in optimizers.cu.</summary>
    public const int Capacity = 64;

    [InlineArray(Capacity)]
    public struct Entries { AdamTensorArgument first; }

    public Entries Tensors;
    public int Count;
}

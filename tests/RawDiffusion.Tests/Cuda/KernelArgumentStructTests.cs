using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RawDiffusion.Backends;
using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Tests.Cuda;

/// <summary>The structs passed to kernels by value have the size and field order of their C counterparts (the .cu
/// files assert the sizes; NVRTC has no offsetof, so the order is pinned here). No GPU needed.</summary>
public class KernelArgumentStructTests
{
    [Fact]
    public void ConvolutionGeometryIsThirteenIntsInTheKernelsOrder()
    {
        Assert.Equal(52, Unsafe.SizeOf<ConvolutionGeometry>());
        var g = ConvolutionGeometry.From(new Conv2dGeometry(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11));
        var expected = new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, g.OutputHeight, g.OutputWidth };
        Assert.Equal(expected, Ints(g, 13));
    }

    [Fact]
    public void PoolingGeometryIsTenIntsInTheKernelsOrder()
    {
        Assert.Equal(40, Unsafe.SizeOf<PoolingGeometry>());
        var source = new Pool2dGeometry(20, 30, 3, 2, 2, 1, 1, 0);
        var g = PoolingGeometry.From(source);
        Assert.Equal([20, 30, 3, 2, 2, 1, 1, 0, source.OutputHeight, source.OutputWidth], Ints(g, 10));
    }

    [Fact]
    public void NormalizationShapeIsFiveIntsInTheKernelsOrder()
    {
        Assert.Equal(20, Unsafe.SizeOf<NormalizationShape>());
        Assert.Equal([4, 6, 9, 3, 1], Ints(NormalizationShape.From(new NormLayout(4, 6, 9, 3, true)), 5));
    }

    [Fact]
    public void AdamTensorListIsSixtyFourEntriesOfFourPointersALengthAndTwoDoublesThenTheCount()
    {
        Assert.Equal(56, Unsafe.SizeOf<AdamTensorArgument>());
        Assert.Equal(3592, Unsafe.SizeOf<AdamTensorListArgument>());
        Assert.Equal(64, AdamTensorListArgument.Capacity);
        var list = new AdamTensorListArgument { Count = 2 };
        list.Tensors[1] = new AdamTensorArgument { Param = 1, Grad = 2, ExpAvg = 3, ExpAvgSq = 4, Length = 5, StepSize = 6, BiasCorrection2Sqrt = 7 };
        var words = MemoryMarshal.Cast<AdamTensorListArgument, long>(MemoryMarshal.CreateSpan(ref list, 1));
        Assert.Equal([1L, 2, 3, 4, 5], words.Slice(7, 5).ToArray());
        Assert.Equal(6.0, BitConverter.Int64BitsToDouble(words[12]));
        Assert.Equal(7.0, BitConverter.Int64BitsToDouble(words[13]));
        Assert.Equal(2L, words[64 * 7]);
        // Everything a launch passes fits CUDA's 4 KB of kernel parameters: the list and six scalars.
        Assert.True(3592 + 6 * 8 <= KernelArguments.MaxBytes);
    }

    static int[] Ints<T>(T value, int count) where T : unmanaged =>
        MemoryMarshal.Cast<T, int>(MemoryMarshal.CreateSpan(ref value, 1)).ToArray() is var ints && ints.Length == count ? ints
        : throw new InvalidOperationException($"{typeof(T).Name} is not {count} ints");
}

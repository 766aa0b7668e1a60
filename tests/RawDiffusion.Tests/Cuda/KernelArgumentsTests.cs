using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Tests.Cuda;

public class KernelArgumentsTests
{
    sealed class Seen
    {
        public nint Pointer;
        public long Count;
        public float Alpha;
        public double Beta;
        public int Op;
        public long LayoutNumel;
        public int LayoutRank;
    }

    static unsafe void Read(Seen seen, void** p)
    {
        seen.Op = *(int*)p[0];
        seen.Pointer = *(nint*)p[1];
        seen.Count = *(long*)p[2];
        seen.Alpha = *(float*)p[3];
        seen.Beta = *(double*)p[4];
        var layout = (StridedLayout*)p[5];
        seen.LayoutNumel = layout->Numel;
        seen.LayoutRank = layout->Rank;
    }

    [Fact]
    public unsafe void EachArgumentPointerAddressesACopyOfItsValue()
    {
        var layout = StridedLayout.From(CoalescedShape.Create([4, 3], [3, 1], [0, 1]), 0, 2);
        var arguments = new KernelArguments();
        arguments.Add(17);
        arguments.Add(unchecked((nint)0x7f00_1234_5678L));
        arguments.Add(1L << 40);
        arguments.Add(0.25f);
        arguments.Add(-3.5);
        arguments.Add(layout);
        Assert.Equal(6, arguments.Count);
        var seen = new Seen();
        arguments.WithPointers(seen, &Read);
        Assert.Equal(17, seen.Op);
        Assert.Equal(unchecked((nint)0x7f00_1234_5678L), seen.Pointer);
        Assert.Equal(1L << 40, seen.Count);
        Assert.Equal(0.25f, seen.Alpha);
        Assert.Equal(-3.5, seen.Beta);
        Assert.Equal(12, seen.LayoutNumel);
        Assert.Equal(2, seen.LayoutRank);
    }

    [Fact]
    public void TooManyArgumentsAreRefused()
    {
        var arguments = new KernelArguments();
        for (int i = 0; i < KernelArguments.MaxArguments; i++) arguments.Add(i);
        Assert.Throws<InvalidOperationException>(() => arguments.Add(0));
        // Values past CUDA's 4 KB of kernel parameters are refused: a multi-tensor table fits, a second one does not.
        var big = new KernelArguments();
        big.Add(new AdamTensorListArgument());
        Assert.Throws<InvalidOperationException>(() => big.Add(new AdamTensorListArgument()));
    }

    [Theory]
    [InlineData(1, 132, 1u)]
    [InlineData(256, 132, 1u)]
    [InlineData(257, 132, 2u)]
    [InlineData(1_000_000, 132, 3907u)]
    [InlineData(100_000_000, 132, 132u * 32)]
    public void LinearLaunchesCoverTheWorkUpToAFewWavesPerSm(long work, int sms, uint blocks)
    {
        var config = LaunchConfig.Linear(work, sms);
        Assert.Equal(new Dim3(blocks), config.Grid);
        Assert.Equal(new Dim3(256), config.Block);
        Assert.Throws<ArgumentOutOfRangeException>(() => LaunchConfig.Linear(0, sms));
    }
}

using RawDiffusion.Backends.Cpu;

namespace RawDiffusion.Tests.Core;

// Lengths here are unusual on purpose: the pool is process-wide and other tests run in parallel.
public class CpuMemoryPoolTests
{
    static Array ArrayOf(Tensor t) => CpuBackend.Cpu(t.Storage.Buffer).Data;

    [Fact]
    public void ADisposedTensorsArrayServesTheNextTensorOfItsLengthAndType()
    {
        var first = Tensor.Empty([3, 33_331]);
        var array = ArrayOf(first);
        first.Dispose();
        using var second = Tensor.Empty([33_331, 3]);
        Assert.Same(array, ArrayOf(second));
    }

    [Fact]
    public void AnArrayReturnsOnlyWhenTheLastViewOfItsStorageIsDisposed()
    {
        var owner = Tensor.Empty([2, 40_009]);
        var array = ArrayOf(owner);
        var view = owner.ViewAs([80_018]);
        owner.Dispose();
        using (var meanwhile = Tensor.Empty([80_018])) Assert.NotSame(array, ArrayOf(meanwhile));
        view.Dispose();
        using var next = Tensor.Empty([80_018]);
        Assert.Same(array, ArrayOf(next));
    }

    [Fact]
    public void OtherDTypesAndSmallArraysAreNotRecycled()
    {
        var floats = Tensor.Empty([50_021]);
        var floatArray = ArrayOf(floats);
        floats.Dispose();
        using (var ints = Tensor.Empty([50_021], DType.Int32)) Assert.NotSame(floatArray, ArrayOf(ints));

        int small = CpuMemoryPool.MinimumPooledBytes / sizeof(float) - 7;
        var tiny = Tensor.Empty([small]);
        var tinyArray = ArrayOf(tiny);
        tiny.Dispose();
        using var again = Tensor.Empty([small]);
        Assert.NotSame(tinyArray, ArrayOf(again));
    }

    [Fact]
    public void RecycledMemoryStillGivesExactValues()
    {
        var dirty = Tensor.Full([70_001], double.NaN);
        dirty.Dispose();
        using var zeros = Tensor.Zeros([70_001]);
        Assert.All(zeros.ToFloat32Array(), v => Assert.Equal(0f, v));
    }
}

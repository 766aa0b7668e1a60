using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Tests.Cuda;

public class StridedLayoutTests
{
    [Fact]
    public unsafe void LayoutMatchesTheCudaStructByteForByte()
    {
        // kernels/common.cuh: long long numel; long long strides[3][6]; int rank; int sizes[6]; (static_assert size 184).
        Assert.Equal(184, sizeof(StridedLayout));
        var layout = new StridedLayout();
        var start = (byte*)&layout;
        Assert.Equal(0, (byte*)&layout.Numel - start);
        Assert.Equal(8, (byte*)layout.Strides - start);
        Assert.Equal(152, (byte*)&layout.Rank - start);
        Assert.Equal(156, (byte*)layout.Sizes - start);
        var common = File.ReadAllText(Path.Combine(KernelSources.Locate().Directory, "common.cuh"));
        Assert.Contains("static_assert(sizeof(StridedLayout) == 184", common);
    }

    [Fact]
    public void ContiguousViewsCoalesceToOneDimension()
    {
        var shape = CoalescedShape.Create([2, 3, 4], [12, 4, 1], [12, 4, 1]);
        Assert.True(shape.IsContiguous);
        Assert.Equal([24], shape.Sizes);
        Assert.Equal(24, shape.Numel);
    }

    [Fact]
    public void SizeOneDimsVanishAndScalarsAndEmptyShapesAreOneDimensional()
    {
        var shape = CoalescedShape.Create([1, 5, 1], [99, 1, 7]);
        Assert.Equal([5], shape.Sizes);
        Assert.True(shape.IsContiguous);
        var scalar = CoalescedShape.Create([], []);
        Assert.Equal([1], scalar.Sizes);
        Assert.True(scalar.IsContiguous);
        var empty = CoalescedShape.Create([3, 0, 2], [0, 2, 1]);
        Assert.Equal(0, empty.Numel);
    }

    [Fact]
    public void BroadcastAndPermutedViewsKeepTheirDimensions()
    {
        // Destination [4, 3] contiguous; operand broadcasts a row (stride 0 on dim 0).
        var broadcast = CoalescedShape.Create([4, 3], [3, 1], [0, 1]);
        Assert.False(broadcast.IsContiguous);
        Assert.Equal([4, 3], broadcast.Sizes);
        Assert.Equal([0L, 1], broadcast.Strides[1]);
        // A transposed operand: [2, 3] read from a [3, 2] buffer.
        var transposed = CoalescedShape.Create([2, 3], [3, 1], [1, 2]);
        Assert.Equal([2, 3], transposed.Sizes);
        // Contiguous inner block inside a strided outer dim: [2, 3, 4] slice of [2, 5, 4] coalesces the inner two.
        var slice = CoalescedShape.Create([2, 3, 4], [12, 4, 1], [20, 4, 1]);
        Assert.Equal([2, 12], slice.Sizes);
        Assert.Equal([20L, 1], slice.Strides[1]);
    }

    [Fact]
    public unsafe void LayoutsCarrySizesStridesAndNumel()
    {
        var shape = CoalescedShape.Create([4, 3], [3, 1], [0, 1], [1, 4]);
        var part = Assert.Single(shape.Parts());
        Assert.Equal([0L, 0, 0], part.Offsets);
        var layout = part.Layout;
        Assert.Equal(2, layout.Rank);
        Assert.Equal(12, layout.Numel);
        Assert.Equal(4, layout.Sizes[0]);
        Assert.Equal(3, layout.Sizes[1]);
        Assert.Equal(3, layout.Strides[0 * StridedLayout.MaxDims + 0]);
        Assert.Equal(0, layout.Strides[1 * StridedLayout.MaxDims + 0]);
        Assert.Equal(4, layout.Strides[2 * StridedLayout.MaxDims + 1]);
    }

    [Fact]
    public unsafe void ShapesBeyondSixDimsSplitIntoLaunchesThatCoverEveryElementOnce()
    {
        // Eight non-mergeable dims (a permuted operand): two leading dims become 2·3 launches.
        int[] shape = [2, 3, 2, 2, 2, 2, 2, 3];
        long[] destination = ContiguousStrides(shape);
        int[] order = [7, 6, 5, 4, 3, 2, 1, 0];
        var source = new long[shape.Length];
        var sourceContiguous = ContiguousStrides([.. order.Select(d => shape[d])]);
        for (int i = 0; i < order.Length; i++) source[order[i]] = sourceContiguous[i];
        var coalesced = CoalescedShape.Create(shape, destination, source);
        Assert.Equal(8, coalesced.Rank);
        var parts = coalesced.Parts().ToList();
        Assert.Equal(6, parts.Count);

        // Expand every launch as the kernel would and compare with a naive walk over the full shape.
        var expected = new List<(long, long)>();
        long numel = shape.Aggregate(1L, (n, s) => n * s);
        for (long i = 0; i < numel; i++)
        {
            long rest = i, d0 = 0, d1 = 0;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                long c = rest % shape[d];
                rest /= shape[d];
                d0 += c * destination[d];
                d1 += c * source[d];
            }
            expected.Add((d0, d1));
        }
        var actual = new List<(long, long)>();
        foreach (var part in parts)
        {
            var layout = part.Layout;
            Assert.Equal(StridedLayout.MaxDims, layout.Rank);
            for (long i = 0; i < layout.Numel; i++)
            {
                long rest = i, d0 = part.Offsets[0], d1 = part.Offsets[1];
                for (int d = layout.Rank - 1; d >= 0; d--)
                {
                    long c = rest % layout.Sizes[d];
                    rest /= layout.Sizes[d];
                    d0 += c * layout.Strides[d];
                    d1 += c * layout.Strides[StridedLayout.MaxDims + d];
                }
                actual.Add((d0, d1));
            }
        }
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void MismatchedStrideRanksAreRejected() =>
        Assert.Throws<ArgumentException>(() => CoalescedShape.Create([2, 3], [3, 1], [1]));

    static long[] ContiguousStrides(int[] shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = s;
            s *= shape[d];
        }
        return strides;
    }
}

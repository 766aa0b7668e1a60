using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.ShapeOps;

public class ViewOpTests
{
    [Fact]
    public void ExpandStretchesSizeOneAndNewLeadingDimensionsWithoutCopying()
    {
        var x = ShapeTestData.EveryOtherFloat(1, 3, 1, 4);
        var y = x.Expand(2, 3, 5, -1);
        Assert.Equal([2, 3, 5, 4], y.ShapeArray);
        Assert.Same(x.Storage, y.Storage);
        var xv = x.ToFloat64Array();
        var yv = y.ToFloat64Array();
        for (int a = 0; a < 2; a++) for (int i = 0; i < 3; i++) for (int j = 0; j < 5; j++) for (int k = 0; k < 4; k++)
            Assert.Equal(xv[i * 4 + k], yv[((a * 3 + i) * 5 + j) * 4 + k]);

        GradCheck.Check(t => t[0].Expand(2, 3, 5, 4), [ShapeTestData.TransposedLeaf(2, 3, 1, 4)]);
        GradCheck.Check(t => t[0].Expand(3, -1, 2) * t[0].Expand(3, 4, 2), [Reference.Leaf(3, 4, 1)]);
        var err = Assert.Throws<ArgumentException>(() => x.Expand(3, 2, 5));
        Assert.Contains("[3, 1, 4]", err.Message);
        Assert.Throws<ArgumentException>(() => x.Expand(-1, 3, 1, 4));
    }

    [Fact]
    public void SliceAndNarrowAreViewsWhoseGradientFillsTheRange()
    {
        var x = ShapeTestData.EveryOtherFloat(4, 4, 5, 6);
        var xv = x.ToFloat64Array();
        foreach (var (axis, start, length) in new[] { (0, 1, 2), (1, -3, 3), (2, 0, 6), (-1, 5, 1), (1, 2, 0) })
        {
            var y = x.Slice(axis, start, length);
            Assert.Same(x.Storage, y.Storage);
            int a = axis < 0 ? axis + 3 : axis, s = start < 0 ? start + x.Shape[a] : start;
            var yv = y.ToFloat64Array();
            var shape = y.ShapeArray;
            Assert.Equal(length, shape[a]);
            for (int e = 0; e < yv.Length; e++)
            {
                var idx = Reference.Unravel(e, shape);
                idx[a] += s;
                Assert.Equal(xv[(idx[0] * 5 + idx[1]) * 6 + idx[2]], yv[e]);
            }
        }
        Assert.Equal(x.Narrow(2, 1, 3).ToFloat64Array(), x.Slice(2, 1, 3).ToFloat64Array());

        GradCheck.Check(t => t[0].Slice(1, 1, 2), [ShapeTestData.TransposedLeaf(5, 3, 4, 2)]);
        GradCheck.Check(t => t[0].Narrow(-1, 0, 1) * t[0].Narrow(-1, 1, 1), [Reference.Leaf(6, 3, 2)]);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Slice(1, 3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Slice(0, -5, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Slice(3, 0, 1));
    }

    [Fact]
    public void SqueezeAndUnsqueezeAreViewsEvenOfStridedTensors()
    {
        var x = ShapeTestData.EveryOtherFloat(7, 3, 1, 4, 1);
        var all = x.Squeeze();
        Assert.Equal([3, 4], all.ShapeArray);
        Assert.Same(x.Storage, all.Storage);
        Assert.Equal(x.ToFloat64Array(), all.ToFloat64Array());
        Assert.Equal([3, 4, 1], x.Squeeze(1).ShapeArray);
        Assert.Equal([3, 1, 4, 1], x.Squeeze(0).ShapeArray);
        Assert.Equal([3, 4], x.Squeeze(1, -1).ShapeArray);

        var u = all.Unsqueeze(1);
        Assert.Equal([3, 1, 4], u.ShapeArray);
        Assert.Same(x.Storage, u.Storage);
        Assert.Equal(x.ToFloat64Array(), u.ToFloat64Array());
        Assert.Equal([3, 4, 1], all.Unsqueeze(-1).ShapeArray);
        Assert.Equal([1, 3, 4], all.Unsqueeze(-3).ShapeArray);
        Assert.Throws<ArgumentOutOfRangeException>(() => all.Unsqueeze(3));

        var leaf = ShapeTestData.TransposedLeaf(8, 3, 1, 2);
        GradCheck.Check(t => t[0].Squeeze(1).Unsqueeze(0), [leaf]);
        GradCheck.Check(t => t[0].Squeeze() * t[0].Squeeze(), [leaf]);
    }

    [Fact]
    public void FlattenIsAViewWhenTheMergedDimensionsAreContiguousAndACopyOtherwise()
    {
        var baseT = Reference.Float(9, 2, 3, 4, 5);
        var permuted = baseT.Permute(0, 3, 1, 2); // [2, 5, 3, 4]: dims 2 and 3 are still contiguous with each other
        var tail = permuted.Flatten(2);
        Assert.Equal([2, 5, 12], tail.ShapeArray);
        Assert.Same(baseT.Storage, tail.Storage);
        Assert.Equal(permuted.ToFloat64Array(), tail.ToFloat64Array());

        var mixed = permuted.Flatten(1, 2);
        Assert.Equal([2, 15, 4], mixed.ShapeArray);
        Assert.NotSame(baseT.Storage, mixed.Storage);
        Assert.Equal(permuted.ToFloat64Array(), mixed.ToFloat64Array());

        Assert.Equal([120], baseT.Flatten().ShapeArray);
        Assert.Equal([1], Tensor.Scalar(3).Flatten().ShapeArray);
        Assert.Throws<ArgumentException>(() => baseT.Flatten(2, 1));

        GradCheck.Check(t => t[0].Permute(0, 2, 1).Flatten(1), [Reference.Leaf(10, 2, 3, 2)]);
        GradCheck.Check(t => t[0].Flatten(0, 1), [ShapeTestData.TransposedLeaf(11, 3, 2, 2)]);
    }
}

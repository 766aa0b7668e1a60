using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.ShapeOps;

public class IndexingTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void IndexSelectPicksEntriesInIndexOrderWithRepeats(int axis)
    {
        var x = ShapeTestData.EveryOtherFloat(1, 4, 5, 6);
        var xv = x.ToFloat64Array();
        int[] picks = axis switch { 0 => [3, 0, 3], 1 => [4, 4, 1, 0, 2], _ => [5] };
        var y = x.IndexSelect(axis, Tensor.FromArray(picks, picks.Length));
        var shape = new[] { 4, 5, 6 };
        shape[axis] = picks.Length;
        Assert.Equal(shape, y.ShapeArray);
        var yv = y.ToFloat64Array();
        for (int e = 0; e < yv.Length; e++)
        {
            var idx = Reference.Unravel(e, shape);
            idx[axis] = picks[idx[axis]];
            Assert.Equal(xv[(idx[0] * 5 + idx[1]) * 6 + idx[2]], yv[e]);
        }
    }

    [Fact]
    public void IndexSelectGradientAccumulatesRepeatedIndices()
    {
        var index = Tensor.FromArray(new[] { 2, 0, 2, 2 }, 4);
        GradCheck.Check(t => t[0].IndexSelect(1, index), [ShapeTestData.TransposedLeaf(2, 3, 4, 2)]);
        GradCheck.Check(t => t[0].IndexSelect(-1, index), [Reference.Leaf(3, 2, 3)]);

        var x = Tensor.FromArray(new double[] { 1, 2, 3 }, 3);
        x.RequiresGrad = true;
        x.IndexSelect(0, index).Sum().Backward();
        Assert.Equal(new double[] { 1, 0, 3 }, x.Grad!.ToFloat64Array());

        // A large table exercises the threaded column-tile path of the scatter-add.
        var big = Reference.Leaf(4, 50, 700);
        var rows = Tensor.FromArray(Enumerable.Range(0, 120).Select(i => i * 7 % 50).ToArray(), 120);
        var upstream = Reference.Float(5, 120, 700).ToFloat64Array();
        big.IndexSelect(0, rows).Backward(Tensor.FromArray(upstream, 120, 700));
        var expected = new double[50 * 700];
        for (int j = 0; j < 120; j++) for (int c = 0; c < 700; c++) expected[j * 7 % 50 * 700 + c] += upstream[j * 700 + c];
        Reference.Close(expected, big.Grad!.ToFloat64Array(), 1e-12);
    }

    [Fact]
    public void IndexErrorsNameTheBadIndexAndItsPosition()
    {
        var x = Tensor.Zeros([3, 4]);
        var err = Assert.Throws<ArgumentOutOfRangeException>(() => x.IndexSelect(1, Tensor.FromArray(new[] { 0, 3, 4, 1 }, 4)));
        Assert.Contains("index 4 at position [2]", err.Message);
        Assert.Contains("[0, 4)", err.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.IndexSelect(0, Tensor.FromArray(new[] { -1 }, 1)));
        Assert.Throws<ArgumentException>(() => x.IndexSelect(0, Tensor.FromArray(new float[] { 0 }, 1)));
        Assert.Throws<ArgumentException>(() => x.IndexSelect(0, Tensor.FromArray(new[] { 0, 1 }, 1, 2)));

        var g = Assert.Throws<ArgumentOutOfRangeException>(() => x.Gather(0, Tensor.FromArray(new[] { 0, 1, 2, 3 }, 2, 2)));
        Assert.Contains("index 3 at position [1, 1]", g.Message);
        Assert.Throws<ArgumentException>(() => x.Gather(0, Tensor.FromArray(new[] { 0, 1, 2, 0, 1 }, 1, 5)));

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => F.Embedding(Tensor.FromArray(new[] { 1, 2, 0, 9 }, 2, 2), Tensor.Zeros([5, 3])));
        Assert.Contains("index 9 at position [1, 1]", e.Message);
        Assert.Contains("5 rows", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void GatherReadsAlongTheAxisAndMayUseASmallerIndex(int axis)
    {
        var x = ShapeTestData.EveryOtherFloat(6, 3, 4, 5);
        var xs = new[] { 3, 4, 5 };
        var shape = new[] { 2, 3, 4 };
        shape[axis] = 6;
        var rng = new Random(axis);
        var picks = Enumerable.Range(0, (int)ShapeMath.Numel(shape)).Select(_ => rng.Next(xs[axis])).ToArray();
        var index = Tensor.FromArray(picks, shape);
        var y = x.Gather(axis, index);
        Assert.Equal(shape, y.ShapeArray);
        var xv = x.ToFloat64Array();
        var yv = y.ToFloat64Array();
        for (int e = 0; e < yv.Length; e++)
        {
            var idx = Reference.Unravel(e, shape);
            idx[axis] = picks[e];
            Assert.Equal(xv[(idx[0] * 4 + idx[1]) * 5 + idx[2]], yv[e]);
        }
        GradCheck.Check(t => t[0].Gather(axis, index), [ShapeTestData.TransposedLeaf(7, 3, 4, 5)]);
    }

    [Fact]
    public void GatherWithAStridedIndexAndRepeatsAlongTheLastAxis()
    {
        var x = Reference.Leaf(8, 3, 4);
        var index = Tensor.FromArray(new[] { 1, 1, 3, 0, 2, 2, 0, 3, 3 }, 3, 3).Transpose(0, 1);
        var y = x.Gather(1, index);
        var xv = x.ToFloat64Array();
        var iv = index.ToArray<int>();
        var yv = y.ToFloat64Array();
        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) Assert.Equal(xv[i * 4 + iv[i * 3 + j]], yv[i * 3 + j]);
        GradCheck.Check(t => t[0].Gather(1, index), [x]);
    }

    [Fact]
    public void EmbeddingLooksUpRowsForIndicesOfAnyShapeAndAccumulatesGradients()
    {
        var weight = ShapeTestData.EveryOtherFloat(9, 6, 4);
        var wv = weight.ToFloat64Array();
        var ids = new[] { 5, 0, 2, 2, 5, 1 };
        var indices = Tensor.FromArray(ids, 2, 3);
        var y = F.Embedding(indices, weight);
        Assert.Equal([2, 3, 4], y.ShapeArray);
        var yv = y.ToFloat64Array();
        for (int t = 0; t < 6; t++) for (int c = 0; c < 4; c++) Assert.Equal(wv[ids[t] * 4 + c], yv[t * 4 + c]);
        Assert.Equal([4], F.Embedding(Tensor.FromArray(new[] { 3 }), weight).ShapeArray);

        GradCheck.Check(t => F.Embedding(indices, t[0]), [ShapeTestData.TransposedLeaf(10, 6, 3)]);
        var w = Reference.Leaf(11, 6, 2);
        F.Embedding(indices, w).Sum().Backward();
        Assert.Equal(new double[] { 1, 1, 1, 1, 2, 2, 0, 0, 0, 0, 2, 2 }, w.Grad!.ToFloat64Array());
    }

    [Fact]
    public void CopyOnlyOpsAlsoMoveInt32Labels()
    {
        var labels = Tensor.FromArray(new[] { 7, 8, 9, 10 }, 4);
        Assert.Equal([10, 7, 7], labels.IndexSelect(0, Tensor.FromArray(new[] { 3, 0, 0 }, 3)).ToArray<int>());
        Assert.Equal([9, 8], labels.Gather(0, Tensor.FromArray(new[] { 2, 1 }, 2)).ToArray<int>());
        Assert.Equal([9, 10, 7, 7], Tensor.Concat([labels.Narrow(0, 2, 2), labels.Slice(0, 0, 1).Expand(2)]).ToArray<int>());
        Assert.Equal([0, 7, 8, 9, 10, 0], labels.Pad([1, 1]).ToArray<int>());
    }
}

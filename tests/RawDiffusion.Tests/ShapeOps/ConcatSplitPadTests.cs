using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.ShapeOps;

public class ConcatSplitPadTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void ConcatJoinsMixedViewsAlongTheAxis(int axis)
    {
        int[][] shapes = axis switch
        {
            0 => [[2, 3, 4], [1, 3, 4], [3, 3, 4]],
            1 => [[2, 1, 4], [2, 5, 4], [2, 0, 4]],
            _ => [[2, 3, 2], [2, 3, 3], [2, 3, 1]],
        };
        var inputs = new[] { ShapeTestData.EveryOtherFloat(1, shapes[0]), Reference.Float(2, shapes[1]), ShapeTestData.EveryOtherFloat(3, shapes[2]) };
        var y = Tensor.Concat(inputs, axis);
        int a = axis < 0 ? axis + 3 : axis;
        var expectedShape = (int[])shapes[0].Clone();
        expectedShape[a] = shapes.Sum(s => s[a]);
        Assert.Equal(expectedShape, y.ShapeArray);

        var yv = y.ToFloat64Array();
        var values = inputs.Select(t => t.ToFloat64Array()).ToArray();
        for (int e = 0; e < yv.Length; e++)
        {
            var idx = Reference.Unravel(e, expectedShape);
            int part = 0;
            while (idx[a] >= shapes[part][a]) idx[a] -= shapes[part++][a];
            var s = shapes[part];
            Assert.Equal(values[part][(idx[0] * s[1] + idx[1]) * s[2] + idx[2]], yv[e]);
        }
    }

    [Fact]
    public void ConcatGradientGoesToEachInputsRangeAndBadShapesAreRejected()
    {
        var a = ShapeTestData.TransposedLeaf(4, 2, 3, 2);
        var b = Reference.Leaf(5, 2, 1, 2);
        GradCheck.Check(t => Tensor.Concat([t[0], t[1], t[0]], 1), [a, b]);
        var err = Assert.Throws<ArgumentException>(() => Tensor.Concat([Tensor.Zeros([2, 3]), Tensor.Zeros([3, 3])], 1));
        Assert.Contains("[3, 3]", err.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Concat([Tensor.Zeros([2, 3]), Tensor.Zeros([2, 3], DType.Float64)], 0));
        Assert.Throws<ArgumentException>(() => Tensor.Concat([], 0));
    }

    [Fact]
    public void SplitAndChunkReturnViewsThatConcatBackToTheInput()
    {
        var x = ShapeTestData.EveryOtherFloat(6, 3, 7, 2);
        var parts = x.Split([2, 0, 5], 1);
        Assert.Equal([[3, 2, 2], [3, 0, 2], [3, 5, 2]], parts.Select(p => p.ShapeArray));
        Assert.All(parts, p => Assert.Same(x.Storage, p.Storage));
        Assert.Equal(x.ToFloat64Array(), Tensor.Concat(parts, 1).ToFloat64Array());

        var chunks = x.Chunk(3, 1);
        Assert.Equal([3, 3, 1], chunks.Select(c => c.Shape[1]));
        Assert.Equal(x.ToFloat64Array(), Tensor.Concat(chunks, 1).ToFloat64Array());
        Assert.Equal([2, 2, 2], x.Chunk(4, 1).Take(3).Select(c => c.Shape[1]));
        Assert.Equal(4, x.Chunk(4, 1).Length);
        Assert.Equal(3, Tensor.Zeros([6]).Chunk(4).Length); // torch.chunk: pieces of ceil(6 / 4) = 2 give 3 chunks
        Assert.Equal(3, Tensor.Zeros([0, 2]).Chunk(3).Length);

        var leaf = Reference.Leaf(7, 4, 3);
        GradCheck.Check(t => { var c = t[0].Chunk(2, 0); return c[0] * c[1]; }, [leaf]);
        GradCheck.Check(t => { var s = t[0].Split([1, 2], -1); return s[1] - s[0]; }, [leaf]);
        var err = Assert.Throws<ArgumentException>(() => x.Split([2, 2], 1));
        Assert.Contains("7", err.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Chunk(0));
    }

    public static TheoryData<int[], int[]> PadCases => new()
    {
        { [2, 3, 4], [1, 2] },
        { [2, 3, 4], [0, 1, 2, 0] },
        { [2, 3, 4], [1, 1, 1, 1, 1, 1] },
        { [2, 3, 4], [-1, 2, 1, -2] },
        { [3, 5], [-2, -1] },
        { [3, 5], [2, -6, 0, 0] },
    };

    [Theory]
    [MemberData(nameof(PadCases))]
    public void PadMatchesNaiveConstantPaddingAndCropping(int[] shape, int[] padding)
    {
        var x = ShapeTestData.EveryOtherFloat(8, shape);
        var xv = x.ToFloat64Array();
        var y = x.Pad(padding, 0.5);
        var outShape = (int[])shape.Clone();
        var before = new int[shape.Length];
        for (int p = 0; p < padding.Length / 2; p++)
        {
            int d = shape.Length - 1 - p;
            before[d] = padding[2 * p];
            outShape[d] += padding[2 * p] + padding[2 * p + 1];
        }
        Assert.Equal(outShape, y.ShapeArray);
        var yv = y.ToFloat64Array();
        for (int e = 0; e < yv.Length; e++)
        {
            var idx = Reference.Unravel(e, outShape);
            bool inside = true;
            long flat = 0;
            for (int d = 0; d < shape.Length; d++)
            {
                int i = idx[d] - before[d];
                inside &= i >= 0 && i < shape[d];
                flat = flat * shape[d] + i;
            }
            Assert.Equal(inside ? xv[flat] : 0.5, yv[e]);
        }
        GradCheck.Check(t => t[0].Pad(padding, 2), [ShapeTestData.TransposedLeaf(9, shape)]);
        Assert.Equal(y.ToFloat64Array(), F.Pad(x, padding, 0.5).ToFloat64Array());
    }

    [Fact]
    public void PadRejectsOddOrTooLongPaddingAndNegativeSizes()
    {
        var x = Tensor.Zeros([2, 3]);
        Assert.Throws<ArgumentException>(() => x.Pad([1]));
        Assert.Throws<ArgumentException>(() => x.Pad([1, 1, 1, 1, 1, 1]));
        var err = Assert.Throws<ArgumentException>(() => x.Pad([-2, -2]));
        Assert.Contains("[2, 3]", err.Message);
    }
}

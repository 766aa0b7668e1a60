using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.Core;

public class MatMulTests
{
    static double[] NaiveBatched(double[] a, int[] sa, double[] b, int[] sb, out int[] outShape)
    {
        int m = sa[^2], k = sa[^1], n = sb[^1];
        var batch = ShapeMath.Broadcast(sa[..^2], sb[..^2]);
        outShape = [.. batch, m, n];
        var result = new double[ShapeMath.Numel(outShape)];
        long nb = ShapeMath.Numel(batch);
        for (long bi = 0; bi < nb; bi++)
        {
            var idx = Reference.Unravel(bi, batch);
            long ao = Reference.BroadcastFlat(idx, sa[..^2]) * m * k, bo = Reference.BroadcastFlat(idx, sb[..^2]) * k * n;
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[ao + i * k + p] * b[bo + p * n + j];
                result[bi * m * n + i * n + j] = s;
            }
        }
        return result;
    }

    public static TheoryData<int[], int[]> Shapes => new()
    {
        { [3, 5], [5, 4] },
        { [2, 3, 5], [5, 4] },
        { [2, 3, 5], [2, 5, 4] },
        { [4, 1, 3, 5], [2, 5, 7] },
        { [1, 7], [7, 1] },
        { [33, 17], [17, 65] },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardMatchesNaiveLoopsAndGradientsMatchFiniteDifferences(int[] sa, int[] sb)
    {
        var a = Reference.Leaf(1, sa);
        var b = Reference.Leaf(2, sb);
        var expected = NaiveBatched(a.ToFloat64Array(), sa, b.ToFloat64Array(), sb, out var shape);
        var c = a.MatMul(b);
        Assert.Equal(shape, c.ShapeArray);
        Reference.Close(expected, c.ToFloat64Array(), 1e-12, 1e-12);
        GradCheck.Check(x => x[0].MatMul(x[1]), [a, b]);

        var af = Reference.Float(3, sa);
        var bf = Reference.Float(4, sb);
        Reference.Close(NaiveBatched(af.ToFloat64Array(), sa, bf.ToFloat64Array(), sb, out _), af.MatMul(bf).ToFloat64Array(), 1e-4, 1e-4);
    }

    [Fact]
    public void TransposedOperandViewsAreHandled()
    {
        var a = Reference.Leaf(5, 5, 3);
        var at = a.StridedAs([3, 5], [1, 3], 0);
        var b = Reference.Leaf(6, 5, 4);
        var expected = NaiveBatched(Kernels.Copy(at).ToFloat64Array(), [3, 5], b.ToFloat64Array(), [5, 4], out _);
        Reference.Close(expected, at.MatMul(b).ToFloat64Array(), 1e-12);
    }

    [Fact]
    public void TransposedViewsOfContiguousMatricesAreReadInPlaceAndMatchTheirCopies()
    {
        // Shared and batched operands, each side transposed or not: the layouts Linear, attention and contrastive losses produce.
        var a = Reference.Leaf(7, 2, 3, 4, 5);
        var shared = Reference.Leaf(8, 6, 4);
        var batched = Reference.Leaf(9, 2, 3, 6, 4);
        var cases = new (Func<Tensor[], Tensor> F, Tensor[] Inputs)[]
        {
            (x => x[0].Transpose(2, 3).MatMul(x[1].Transpose(0, 1)), [a, shared]),
            (x => x[0].Transpose(2, 3).MatMul(x[1].Transpose(2, 3)), [a, batched]),
            (x => x[2].MatMul(x[0]).Transpose(2, 3).MatMul(x[1].Transpose(0, 1).Transpose(0, 1)), [a, shared, batched]),
            (x => x[1].Transpose(0, 1).Transpose(0, 1).MatMul(x[0]), [a, shared]),
            (x => x[0].MatMul(x[1].Transpose(0, 1)), [Reference.Leaf(10, 2, 3, 4), shared]),
        };
        foreach (var (f, inputs) in cases)
        {
            var viaViews = f(inputs);
            var viaCopies = f(inputs.Select(t => Tensor.FromArray(t.ToFloat64Array(), t.ShapeArray)).ToArray());
            Reference.Close(viaCopies.ToFloat64Array(), viaViews.ToFloat64Array(), 1e-12, 1e-12);
            GradCheck.Check(f, inputs);
        }
    }

    [Fact]
    public void MismatchedInnerDimensionsAreRejectedWithTheShapes()
    {
        var err = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 3]).MatMul(Tensor.Zeros([4, 5])));
        Assert.Contains("[2, 3]", err.Message);
        Assert.Contains("[4, 5]", err.Message);
    }
}

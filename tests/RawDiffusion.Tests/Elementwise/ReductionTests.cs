using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.Elementwise;

public class ReductionTests
{
    /// <summary>For every output position (reduced axes kept as size 1), the input values reduced into it, in order.</summary>
    static List<double>[] Groups(double[] values, int[] shape, int[] axes)
    {
        var reduce = new bool[shape.Length];
        if (axes.Length == 0) Array.Fill(reduce, true);
        foreach (var a in axes) reduce[a < 0 ? a + shape.Length : a] = true;
        var kept = shape.Select((d, i) => reduce[i] ? 1 : d).ToArray();
        var groups = new List<double>[ShapeMath.Numel(kept)];
        for (int g = 0; g < groups.Length; g++) groups[g] = [];
        for (long i = 0; i < values.Length; i++)
        {
            var idx = Reference.Unravel(i, shape);
            for (int d = 0; d < idx.Length; d++) if (reduce[d]) idx[d] = 0;
            long flat = 0;
            for (int d = 0; d < idx.Length; d++) flat = flat * kept[d] + idx[d];
            groups[flat].Add(values[i]);
        }
        return groups;
    }

    static int[] OutputShape(int[] shape, int[] axes, bool keepDim)
    {
        var reduce = new bool[shape.Length];
        if (axes.Length == 0) Array.Fill(reduce, true);
        foreach (var a in axes) reduce[a < 0 ? a + shape.Length : a] = true;
        return keepDim ? shape.Select((d, i) => reduce[i] ? 1 : d).ToArray() : shape.Where((_, i) => !reduce[i]).ToArray();
    }

    static double Variance(List<double> g, bool unbiased)
    {
        double mean = g.Average();
        return g.Sum(v => (v - mean) * (v - mean)) / (g.Count - (unbiased ? 1 : 0));
    }

    public static TheoryData<int[], int[], bool> Cases => new()
    {
        { [2, 3, 4], [1], false },
        { [2, 3, 4], [0, 2], true },
        { [2, 3, 4], [-1], false },
        { [2, 3, 4], [], false },
        { [2, 3, 4], [], true },
        { [5, 7], [0], true },
        { [3, 1, 6], [1, 2], false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MeanMaxMinVarStdMatchNaiveLoopsOnPermutedInputs(int[] shape, int[] axes, bool keepDim)
    {
        // A permuted view of a tensor with the reversed shape: the reductions read through its strides.
        var order = Enumerable.Range(0, shape.Length).Reverse().ToArray();
        var x = Reference.Float(30, shape.Reverse().ToArray()).Permute(order);
        var groups = Groups(x.ToFloat64Array(), shape, axes);
        var outShape = OutputShape(shape, axes, keepDim);
        void Check(Tensor y, Func<List<double>, double> f, string what)
        {
            Assert.Equal(outShape, y.ShapeArray);
            Reference.Close(groups.Select(f).ToArray(), y.ToFloat64Array(), 1e-6, 1e-5, what);
        }
        Check(x.Mean(axes, keepDim), g => g.Average(), "mean");
        Check(x.Max(axes, keepDim), g => g.Max(), "max");
        Check(x.Min(axes, keepDim), g => g.Min(), "min");
        Check(x.Var(axes, keepDim), g => Variance(g, true), "var");
        Check(x.Var(axes, keepDim, unbiased: false), g => Variance(g, false), "biased var");
        Check(x.Std(axes, keepDim), g => Math.Sqrt(Variance(g, true)), "std");
        Check(x.Std(axes, keepDim, unbiased: false), g => Math.Sqrt(Variance(g, false)), "biased std");
        if (!keepDim)
        {
            Check(x.Mean(axes), g => g.Average(), "mean(params)");
            Check(x.Max(axes), g => g.Max(), "max(params)");
            Check(x.Min(axes), g => g.Min(), "min(params)");
            Check(x.Var(axes), g => Variance(g, true), "var(params)");
            Check(x.Std(axes), g => Math.Sqrt(Variance(g, true)), "std(params)");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReductionGradientsMatchFiniteDifferences(int[] shape, int[] axes, bool keepDim)
    {
        var x = Reference.Leaf(31, shape);
        GradCheck.Check(t => t[0].Mean(axes, keepDim), [x]);
        GradCheck.Check(t => t[0].Max(axes, keepDim), [x]);
        GradCheck.Check(t => t[0].Min(axes, keepDim), [x]);
        GradCheck.Check(t => t[0].Var(axes, keepDim), [x]);
        GradCheck.Check(t => t[0].Var(axes, keepDim, unbiased: false), [x]);
        GradCheck.Check(t => t[0].Std(axes, keepDim), [x]);
    }

    [Fact]
    public void ReductionGradientsReachNonContiguousLeaves()
    {
        var x = ElementwiseTestData.StridedLeaf(32, -1, 1, 3, 4);
        GradCheck.Check(t => t[0].Mean([0], keepDim: false), [x]);
        GradCheck.Check(t => t[0].Max([1], keepDim: true), [x]);
        GradCheck.Check(t => t[0].Var([0], keepDim: false), [x]);
    }

    [Fact]
    public void MaxAndMinSplitTheGradientEvenlyBetweenTies()
    {
        var x = Tensor.FromArray(new double[] { 1, 3, 3, 2, 2, 2 }, 2, 3);
        x.RequiresGrad = true;
        (x.Max([1], keepDim: false) * Tensor.FromArray(new double[] { 6, 9 }, 2)).Sum().Backward();
        Reference.Close([0, 3, 3, 3, 3, 3], x.Grad!.ToFloat64Array(), 1e-15);
        x.ZeroGrad();
        x.Min().Backward();
        Reference.Close([1, 0, 0, 0, 0, 0], x.Grad!.ToFloat64Array(), 1e-15);
        x.ZeroGrad();
        x.Max().Backward();
        Reference.Close([0, 0.5, 0.5, 0, 0, 0], x.Grad!.ToFloat64Array(), 1e-15);
    }

    [Fact]
    public void EmptyExtentsGiveNaNForMeanAndErrorsForMaxAndArgMax()
    {
        var empty = Tensor.Zeros([2, 0]);
        Assert.All(empty.Mean([1], keepDim: false).ToFloat64Array(), v => Assert.True(double.IsNaN(v)));
        var err = Assert.Throws<ArgumentException>(() => empty.Max([1], keepDim: false));
        Assert.Contains("[2, 0]", err.Message);
        Assert.Throws<ArgumentException>(() => empty.Min());
        Assert.Contains("[2, 0]", Assert.Throws<ArgumentException>(() => empty.ArgMax(1)).Message);
        Assert.Equal([0], empty.ArgMax(0).ShapeArray);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros([2, 3]).Mean([2], keepDim: false));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-1)]
    public void ArgMaxMatchesNaiveLoopAndIsInt32(int axis)
    {
        int[] shape = [4, 5, 6];
        // Values on a coarse grid so ties are common: the first index must win.
        var values = Reference.RandomArray(120, 33, 0, 4).Select(Math.Floor).ToArray();
        var x = Tensor.FromArray(Array.ConvertAll(values, v => (float)v), 6, 5, 4).Permute(2, 1, 0);
        var xv = x.ToFloat64Array();
        int a = axis < 0 ? axis + 3 : axis;
        foreach (bool keepDim in new[] { false, true })
        {
            var result = x.ArgMax(axis, keepDim);
            Assert.Equal(DType.Int32, result.DType);
            Assert.False(result.RequiresGrad);
            var outShape = keepDim ? shape.Select((d, i) => i == a ? 1 : d).ToArray() : shape.Where((_, i) => i != a).ToArray();
            Assert.Equal(outShape, result.ShapeArray);
            var kept = shape.Select((d, i) => i == a ? 1 : d).ToArray();
            var expected = new int[ShapeMath.Numel(kept)];
            for (int o = 0; o < expected.Length; o++)
            {
                var idx = Reference.Unravel(o, kept);
                double best = double.NegativeInfinity;
                for (int j = 0; j < shape[a]; j++)
                {
                    idx[a] = j;
                    long flat = (idx[0] * shape[1] + idx[1]) * shape[2] + idx[2];
                    if (xv[flat] > best) { best = xv[flat]; expected[o] = j; }
                }
            }
            Assert.Equal(expected, result.ToArray<int>());
        }
    }

    [Fact]
    public void ArgMaxTreatsNaNAsLargestAndIgnoresGrad()
    {
        var x = Tensor.FromArray(new double[] { 1, double.NaN, 5, double.NaN, 2, 7, 7, 0 }, 2, 4);
        x.RequiresGrad = true;
        Assert.Equal([1, 1], x.ArgMax(1).ToArray<int>());
        Assert.Equal([1, 2], Tensor.FromArray(new double[] { 1, 7, 7, 0, 3, 9 }, 2, 3).ArgMax(-1).ToArray<int>());
        Assert.Equal([0, 0, 1], Tensor.FromArray(new float[] { 3, 2, 1, 1, 2, 9 }, 2, 3).ArgMax(0).ToArray<int>());
        Assert.Contains("Int32", Assert.Throws<ArgumentException>(() => Tensor.FromArray(new[] { 1, 2 }, 2).ArgMax(0)).Message);
    }

    [Fact]
    public void ArgMaxOverALargeBatchRunsInParallelRows()
    {
        var x = Reference.Float(34, 5000, 10);
        var xv = x.ToFloat64Array();
        var result = x.ArgMax(1).ToArray<int>();
        for (int r = 0; r < 5000; r++)
            Assert.Equal(Enumerable.Range(0, 10).MaxBy(c => xv[r * 10 + c]), result[r]);
        var columns = x.ArgMax(0).ToArray<int>();
        for (int c = 0; c < 10; c++)
            Assert.Equal(Enumerable.Range(0, 5000).MaxBy(r => xv[r * 10 + c]), columns[c]);
    }
}

using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.NeuralOps;

public class LinearTests
{
    /// <summary>y[r, o] = Σ_i x[r, i]·w[o, i] + b[o] over the rows of x flattened to [rows, in].</summary>
    static double[] NaiveLinear(double[] x, double[] w, double[]? b, int inFeatures, int outFeatures)
    {
        int rows = x.Length / inFeatures;
        var y = new double[rows * outFeatures];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outFeatures; o++)
            {
                double s = b?[o] ?? 0;
                for (int i = 0; i < inFeatures; i++) s += x[r * inFeatures + i] * w[o * inFeatures + i];
                y[r * outFeatures + o] = s;
            }
        return y;
    }

    [Fact]
    public void ForwardMatchesNaiveLoopsForContiguousAndStridedOperands()
    {
        var x = Reference.Float(1, 2, 3, 5);
        var w = Reference.Float(2, 4, 5);
        var b = Reference.Float(3, 4);
        var y = F.Linear(x, w, b);
        Assert.Equal([2, 3, 4], y.ShapeArray);
        Reference.Close(NaiveLinear(x.ToFloat64Array(), w.ToFloat64Array(), b.ToFloat64Array(), 5, 4), y.ToFloat64Array(), 1e-5, 1e-5);
        Reference.Close(NaiveLinear(x.ToFloat64Array(), w.ToFloat64Array(), null, 5, 4), F.Linear(x, w).ToFloat64Array(), 1e-5, 1e-5);

        // x read through a permutation, W stored transposed ([in, out] memory read as [out, in]).
        var xp = Reference.Float(4, 5, 3, 2).Permute(2, 1, 0);
        var wt = Reference.Float(5, 5, 4).StridedAs([4, 5], [1, 4], 0);
        Reference.Close(NaiveLinear(Kernels.Copy(xp).ToFloat64Array(), Kernels.Copy(wt).ToFloat64Array(), b.ToFloat64Array(), 5, 4),
            F.Linear(xp, wt, b).ToFloat64Array(), 1e-5, 1e-5);

        var single = Reference.Float(6, 5);
        var ys = F.Linear(single, w, b);
        Assert.Equal([4], ys.ShapeArray);
        Reference.Close(NaiveLinear(single.ToFloat64Array(), w.ToFloat64Array(), b.ToFloat64Array(), 5, 4), ys.ToFloat64Array(), 1e-5, 1e-5);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Reference.Leaf(7, 2, 3, 5);
        var w = Reference.Leaf(8, 4, 5);
        var b = Reference.Leaf(9, 4);
        GradCheck.Check(t => F.Linear(t[0], t[1], t[2]), [x, w, b]);
        GradCheck.Check(t => F.Linear(t[0], t[1]), [x, w]);
        var view = Reference.Leaf(10, 5, 3).StridedAs([3, 5], [1, 3], 0);
        view.RequiresGrad = true;
        GradCheck.Check(t => F.Linear(t[0], t[1], t[2]), [view, w, b]);
        GradCheck.Check(t => F.Linear(t[0], t[1], t[2]), [Reference.Leaf(11, 5), w, b]);
    }

    [Fact]
    public void MismatchedShapesAreRejectedWithTheShapes()
    {
        var err = Assert.Throws<ArgumentException>(() => F.Linear(Tensor.Zeros([2, 6]), Tensor.Zeros([4, 5])));
        Assert.Contains("[2, 6]", err.Message);
        Assert.Contains("[4, 5]", err.Message);
        Assert.Throws<ArgumentException>(() => F.Linear(Tensor.Zeros([2, 5]), Tensor.Zeros([4, 5]), Tensor.Zeros([5])));
        Assert.Throws<ArgumentException>(() => F.Linear(Tensor.Zeros([2, 5]), Tensor.Zeros([5])));
    }
}

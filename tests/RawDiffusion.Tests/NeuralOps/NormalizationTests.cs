using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.NeuralOps;

public class NormalizationTests
{
    /// <summary>A normalisation written out: x as [outer, channels, inner], statistic of element (o, c, ·) given by
    /// <paramref name="stat"/>, weight and bias per channel.</summary>
    sealed record NaiveNorm(int Outer, int Channels, int Inner, Func<int, int, int> Stat, int StatCount, double Eps = 1e-5)
    {
        public (double[] Mean, double[] Var) Statistics(double[] x)
        {
            var sum = new double[StatCount];
            var count = new double[StatCount];
            ForEach((i, k, c) => { sum[k] += x[i]; count[k]++; });
            var mean = sum.Select((s, k) => s / count[k]).ToArray();
            var sq = new double[StatCount];
            ForEach((i, k, c) => sq[k] += (x[i] - mean[k]) * (x[i] - mean[k]));
            return (mean, sq.Select((s, k) => s / count[k]).ToArray());
        }

        public double[] Forward(double[] x, double[]? w, double[]? b, (double[] Mean, double[] Var)? given = null)
        {
            var (mean, var) = given ?? Statistics(x);
            var y = new double[x.Length];
            ForEach((i, k, c) => y[i] = (x[i] - mean[k]) / Math.Sqrt(var[k] + Eps) * (w?[c] ?? 1) + (b?[c] ?? 0));
            return y;
        }

        /// <summary>dx = rstd·(g·w − mean(g·w) − x̂·mean(g·w·x̂)), dw = Σ g·x̂, db = Σ g.</summary>
        public (double[] Dx, double[] Dw, double[] Db) Backward(double[] x, double[] g, double[]? w)
        {
            var (mean, var) = Statistics(x);
            var rstd = var.Select(v => 1 / Math.Sqrt(v + Eps)).ToArray();
            var a = new double[StatCount];
            var bsum = new double[StatCount];
            var count = new double[StatCount];
            var dw = new double[Channels];
            var db = new double[Channels];
            ForEach((i, k, c) =>
            {
                double xhat = (x[i] - mean[k]) * rstd[k], gw = g[i] * (w?[c] ?? 1);
                a[k] += gw;
                bsum[k] += gw * xhat;
                count[k]++;
                dw[c] += g[i] * xhat;
                db[c] += g[i];
            });
            var dx = new double[x.Length];
            ForEach((i, k, c) =>
            {
                double xhat = (x[i] - mean[k]) * rstd[k], gw = g[i] * (w?[c] ?? 1);
                dx[i] = rstd[k] * (gw - a[k] / count[k] - xhat * bsum[k] / count[k]);
            });
            return (dx, dw, db);
        }

        void ForEach(Action<int, int, int> body)
        {
            for (int o = 0; o < Outer; o++)
                for (int c = 0; c < Channels; c++)
                    for (int s = 0; s < Inner; s++)
                        body((o * Channels + c) * Inner + s, Stat(o, c), c);
        }
    }

    static NaiveNorm Layer(int rows, int n) => new(rows, n, 1, (o, c) => o, rows);
    static NaiveNorm Group(int[] shape, int groups) =>
        new(shape[0], shape[1], (int)ShapeMath.Numel(shape[2..]), (o, c) => o * groups + c / (shape[1] / groups), shape[0] * groups);
    static NaiveNorm Batch(int[] shape) => new(shape[0], shape[1], (int)ShapeMath.Numel(shape[2..]), (o, c) => c, shape[1]);

    static double[] V(Tensor t) => Kernels.Copy(t).ToFloat64Array();

    [Fact]
    public void LayerNormMatchesNaiveLoops()
    {
        var x = Reference.Float(1, 3, 4, 10) * 3 + 5;
        var w = Reference.Float(2, 10);
        var b = Reference.Float(3, 10);
        Reference.Close(Layer(12, 10).Forward(V(x), V(w), V(b)), F.LayerNorm(x, [10], w, b).ToFloat64Array(), 1e-5, 1e-4);
        Reference.Close(Layer(12, 10).Forward(V(x), null, null), F.LayerNorm(x, [10]).ToFloat64Array(), 1e-5, 1e-4);
        var w2 = Reference.Float(4, 4, 10);
        Reference.Close(Layer(3, 40).Forward(V(x), V(w2), null), F.LayerNorm(x, [4, 10], w2).ToFloat64Array(), 1e-5, 1e-4);
        var strided = (Reference.Float(5, 10, 4, 3) * 2).Permute(2, 1, 0);
        Reference.Close(Layer(12, 10).Forward(V(strided), V(w), V(b)), F.LayerNorm(strided, [10], w, b).ToFloat64Array(), 1e-5, 1e-4);
    }

    [Fact]
    public void GroupNormMatchesNaiveLoops()
    {
        int[] shape = [2, 6, 3, 4];
        var x = Reference.Float(6, shape) * 2 - 1;
        var w = Reference.Float(7, 6);
        var b = Reference.Float(8, 6);
        foreach (var groups in new[] { 1, 3, 6 })
            Reference.Close(Group(shape, groups).Forward(V(x), V(w), V(b)), F.GroupNorm(x, groups, w, b).ToFloat64Array(), 1e-5, 1e-4);
        Reference.Close(Group(shape, 2).Forward(V(x), null, null), F.GroupNorm(x, 2).ToFloat64Array(), 1e-5, 1e-4);
        var flat = Reference.Float(9, 4, 8);
        Reference.Close(Group([4, 8], 2).Forward(V(flat), V(Reference.Float(10, 8)), null),
            F.GroupNorm(flat, 2, Reference.Float(10, 8)).ToFloat64Array(), 1e-5, 1e-4);
        var strided = Reference.Float(11, 3, 4, 6, 2).Permute(3, 2, 1, 0);   // [2, 6, 4, 3]
        Reference.Close(Group([2, 6, 4, 3], 3).Forward(V(strided), V(w), V(b)), F.GroupNorm(strided, 3, w, b).ToFloat64Array(), 1e-5, 1e-4);
    }

    [Fact]
    public void BatchNormTrainingUsesBatchStatisticsAndUpdatesRunningStatistics()
    {
        int[] shape = [4, 3, 2, 5];
        var x = Reference.Float(12, shape) * 3 + 1;
        var w = Reference.Float(13, 3);
        var b = Reference.Float(14, 3);
        var naive = Batch(shape);
        var runningMean = Tensor.FromArray(new float[] { 0.5f, -1, 2 }, 3);
        var runningVar = Tensor.FromArray(new float[] { 1, 2, 0.5f }, 3);
        var y = F.BatchNorm(x, runningMean, runningVar, w, b, training: true, momentum: 0.2);
        Reference.Close(naive.Forward(V(x), V(w), V(b)), y.ToFloat64Array(), 1e-5, 1e-4);
        var (mean, var) = naive.Statistics(V(x));
        double n = 4 * 2 * 5;
        Reference.Close(new[] { 0.5, -1, 2 }.Select((r, c) => 0.8 * r + 0.2 * mean[c]).ToArray(), runningMean.ToFloat64Array(), 1e-6, 1e-5);
        Reference.Close(new[] { 1, 2, 0.5 }.Select((r, c) => 0.8 * r + 0.2 * var[c] * n / (n - 1)).ToArray(), runningVar.ToFloat64Array(), 1e-6, 1e-5);

        var eval = F.BatchNorm(x, runningMean, runningVar, w, b);
        Reference.Close(naive.Forward(V(x), V(w), V(b), (V(runningMean), V(runningVar))), eval.ToFloat64Array(), 1e-5, 1e-4);
        Reference.Close(naive.Forward(V(x), null, null), F.BatchNorm(x, null, null).ToFloat64Array(), 1e-5, 1e-4);

        var flat = Reference.Float(15, 6, 3).Permute(0, 1);
        Reference.Close(Batch([6, 3]).Forward(V(flat), V(w), V(b)), F.BatchNorm(flat, null, null, w, b, training: true).ToFloat64Array(), 1e-5, 1e-4);
    }

    [Fact]
    public void LayerNormGradientsMatchFiniteDifferences()
    {
        var x = Reference.Leaf(20, 3, 2, 5);
        var w = Reference.Leaf(21, 5);
        var b = Reference.Leaf(22, 5);
        GradCheck.Check(t => F.LayerNorm(t[0], [5], t[1], t[2]), [x, w, b]);
        var w2 = Reference.Leaf(23, 2, 5);
        GradCheck.Check(t => F.LayerNorm(t[0], [2, 5], t[1]), [x, w2]);
        var view = Reference.Leaf(24, 5, 4).StridedAs([4, 5], [1, 4], 0);
        view.RequiresGrad = true;
        GradCheck.Check(t => F.LayerNorm(t[0], [5]), [view]);
    }

    [Fact]
    public void GroupNormGradientsMatchFiniteDifferences()
    {
        var x = Reference.Leaf(25, 2, 4, 3, 2);
        var w = Reference.Leaf(26, 4);
        var b = Reference.Leaf(27, 4);
        GradCheck.Check(t => F.GroupNorm(t[0], 2, t[1], t[2]), [x, w, b]);
        GradCheck.Check(t => F.GroupNorm(t[0], 4), [x]);
        GradCheck.Check(t => F.GroupNorm(t[0], 2, t[1], t[2]), [Reference.Leaf(28, 3, 4), w, b]);
        var view = Reference.Leaf(29, 3, 4, 2).Detach().Permute(2, 1, 0);   // a strided [2, 4, 3] leaf
        view.RequiresGrad = true;
        GradCheck.Check(t => F.GroupNorm(t[0], 2, t[1]), [view, w]);
    }

    [Fact]
    public void BatchNormGradientsMatchFiniteDifferences()
    {
        var x = Reference.Leaf(30, 3, 2, 2, 2);
        var w = Reference.Leaf(31, 2);
        var b = Reference.Leaf(32, 2);
        GradCheck.Check(t => F.BatchNorm(t[0], null, null, t[1], t[2], training: true), [x, w, b]);
        GradCheck.Check(t => F.BatchNorm(t[0], null, null, t[1], t[2], training: true), [Reference.Leaf(33, 4, 2), w, b]);
        var runningMean = Tensor.FromArray(new double[] { 0.1, -0.2 }, 2);
        var runningVar = Tensor.FromArray(new double[] { 0.7, 1.3 }, 2);
        GradCheck.Check(t => F.BatchNorm(t[0], runningMean, runningVar, t[1], t[2]), [x, w, b]);
        // Running statistics are updated on every call in training but never enter the graph.
        GradCheck.Check(t => F.BatchNorm(t[0], runningMean.Clone(), runningVar.Clone(), t[1], null, training: true), [x, w]);
    }

    public static TheoryData<string> LargeCases => new() { "layer", "group", "group-flat", "batch", "batch-flat" };

    /// <summary>Sizes past the threading threshold, forward and backward against the naive formulas.</summary>
    [Theory]
    [MemberData(nameof(LargeCases))]
    public void LargeInputsMatchNaiveForwardAndBackward(string kind)
    {
        int[] shape = kind switch
        {
            "layer" => [256, 160],
            "group" => [4, 32, 16, 16],
            "group-flat" => [512, 96],
            "batch" => [8, 16, 16, 17],
            _ => [400, 96],
        };
        int channels = kind == "layer" ? shape[1] : shape[1];
        var naive = kind switch
        {
            "layer" => Layer(shape[0], shape[1]),
            "group" => Group(shape, 8),
            "group-flat" => Group(shape, 4),
            _ => Batch(shape),
        };
        var x = Reference.Float(40, shape) * 2 + 3;
        x.RequiresGrad = true;
        var w = Reference.Float(41, channels);
        w.RequiresGrad = true;
        var b = Reference.Float(42, channels);
        b.RequiresGrad = true;
        var y = kind switch
        {
            "layer" => F.LayerNorm(x, [shape[1]], w, b),
            "group" => F.GroupNorm(x, 8, w, b),
            "group-flat" => F.GroupNorm(x, 4, w, b),
            _ => F.BatchNorm(x, null, null, w, b, training: true),
        };
        Reference.Close(naive.Forward(V(x), V(w), V(b)), y.ToFloat64Array(), 1e-4, 1e-4, "y");
        var g = Reference.Float(43, shape);
        y.Backward(g);
        var (dx, dw, db) = naive.Backward(V(x), V(g), V(w));
        Reference.Close(dx, x.Grad!.ToFloat64Array(), 1e-4, 1e-3, "dx");
        Reference.Close(dw, w.Grad!.ToFloat64Array(), 1e-3, 1e-4, "dw");
        Reference.Close(db, b.Grad!.ToFloat64Array(), 1e-3, 1e-4, "db");
    }

    [Fact]
    public void BadArgumentsAreRejectedWithTheShapes()
    {
        var x = Tensor.Zeros([2, 6, 4]);
        var err = Assert.Throws<ArgumentException>(() => F.LayerNorm(x, [6]));
        Assert.Contains("[2, 6, 4]", err.Message);
        Assert.Throws<ArgumentException>(() => F.LayerNorm(x, [4], Tensor.Zeros([6])));
        Assert.Throws<ArgumentException>(() => F.LayerNorm(x, [4], Tensor.Zeros([4], DType.Float64)));
        var groups = Assert.Throws<ArgumentException>(() => F.GroupNorm(x, 4));
        Assert.Contains("4 groups", groups.Message);
        Assert.Throws<ArgumentException>(() => F.GroupNorm(Tensor.Zeros([6]), 2));
        Assert.Throws<ArgumentException>(() => F.BatchNorm(Tensor.Zeros([1, 3]), null, null, training: true));
        Assert.Throws<ArgumentException>(() => F.BatchNorm(x, Tensor.Zeros([6]), null));
        Assert.Throws<ArgumentException>(() => F.BatchNorm(x, Tensor.Zeros([4]), Tensor.Zeros([4])));
    }
}

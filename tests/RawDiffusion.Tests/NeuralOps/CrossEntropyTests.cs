using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.NeuralOps;

public class CrossEntropyTests
{
    /// <summary>Per-sample losses of logits [N, C, d...] (class axis 1) at integer targets, with label smoothing.</summary>
    static double[] NaiveLosses(double[] logits, int[] shape, int[] targets, double smoothing)
    {
        int n = shape[0], c = shape[1];
        long inner = shape.Skip(2).Aggregate(1L, (a, b) => a * b);
        var lp = Naive.Softmax(logits, shape, 1, log: true);
        var losses = new double[n * inner];
        for (int s = 0; s < n; s++)
            for (long i = 0; i < inner; i++)
            {
                int t = targets[s * inner + i];
                double mean = 0;
                for (int k = 0; k < c; k++) mean += lp[(s * c + k) * inner + i] / c;
                losses[s * inner + i] = -(1 - smoothing) * lp[(s * c + t) * inner + i] - smoothing * mean;
            }
        return losses;
    }

    static int[] Targets(int seed, int count, int classes)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => rng.Next(classes)).ToArray();
    }

    public static TheoryData<int[], double> Shapes => new()
    {
        { [5, 7], 0 },
        { [5, 7], 0.1 },
        { [3, 4, 2, 3], 0 },
        { [3, 4, 5], 0.2 },
        { [300, 150], 0.05 },  // threaded rows
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void HardTargetsMatchNaiveLoopsForEveryReduction(int[] shape, double smoothing)
    {
        var logits = Reference.Float(1, shape) * 5;
        int[] targetShape = [shape[0], .. shape[2..]];
        var t = Targets(2, (int)ShapeMath.Numel(targetShape), shape[1]);
        var targets = Tensor.FromArray(t, targetShape);
        var expected = NaiveLosses(logits.ToFloat64Array(), shape, t, smoothing);

        var none = F.CrossEntropy(logits, targets, "none", smoothing);
        Assert.Equal(targetShape, none.ShapeArray);
        Reference.Close(expected, none.ToFloat64Array(), 1e-5, 1e-5);
        Assert.Equal(expected.Sum(), F.CrossEntropy(logits, targets, "sum", smoothing).Item(), 1e-5 * expected.Length);
        Assert.Equal(expected.Average(), F.CrossEntropy(logits, targets, labelSmoothing: smoothing).Item(), 1e-5);
        if (smoothing == 0)
            Reference.Close(expected, F.NllLoss(F.LogSoftmax(logits, 1), targets, "none").ToFloat64Array(), 1e-5, 1e-5);
    }

    [Fact]
    public void SingleSampleAndNonContiguousLogits()
    {
        var logits = Reference.Float(3, 6);
        var loss = F.CrossEntropy(logits, Tensor.FromArray(new[] { 4 }, []), "none");
        Assert.Empty(loss.ShapeArray);
        Assert.Equal(NaiveLosses(logits.ToFloat64Array(), [1, 6], [4], 0)[0], loss.Item(), 1e-5);

        var stored = Reference.Float(4, 5, 3);          // logits [3, 5] read transposed
        var view = stored.StridedAs([3, 5], [1, 3], 0);
        var t = new[] { 0, 4, 2 };
        var expected = NaiveLosses(Kernels.Copy(view).ToFloat64Array(), [3, 5], t, 0);
        Reference.Close(expected, F.CrossEntropy(view, Tensor.FromArray(t, 3), "none").ToFloat64Array(), 1e-5, 1e-5);
    }

    [Fact]
    public void LargeLogitsGiveFiniteLosses()
    {
        var logits = Tensor.FromArray(new float[] { 1000, 0, -1000, 5000, 5001, 4999 }, 2, 3);
        var loss = F.CrossEntropy(logits, Tensor.FromArray(new[] { 2, 1 }, 2), "none").ToFloat64Array();
        Assert.Equal(2000, loss[0], 1e-3);
        Assert.Equal(Math.Log(1 + Math.Exp(-1) + Math.Exp(-2)), loss[1], 2e-3); // float32 spacing near 5000 is 5e-4
    }

    [Fact]
    public void HardTargetGradientsMatchFiniteDifferences()
    {
        var logits = Reference.LeafInRange(5, -2.0, 2.0, 4, 5);
        var targets = Tensor.FromArray(new[] { 1, 0, 4, 2 }, 4);
        foreach (var reduction in new[] { "mean", "sum", "none" })
            foreach (var smoothing in new[] { 0.0, 0.15 })
                GradCheck.Check(t => F.CrossEntropy(t[0], targets, reduction, smoothing), [logits]);
        var spatial = Reference.LeafInRange(6, -2.0, 2.0, 2, 3, 2, 2);
        var spatialTargets = Tensor.FromArray(new[] { 0, 2, 1, 1, 2, 0, 0, 1 }, 2, 2, 2);
        GradCheck.Check(t => F.CrossEntropy(t[0], spatialTargets, "mean", 0.1), [spatial]);
        GradCheck.Check(t => F.NllLoss(t[0], spatialTargets, "none"), [spatial]);
        GradCheck.Check(t => F.NllLoss(F.LogSoftmax(t[0], 1), targets), [logits]);
    }

    [Fact]
    public void SoftTargetsMatchNaiveLoopsAndOneHotTargets()
    {
        var logits = Reference.Float(7, 4, 5) * 3;
        var probs = F.Softmax(Reference.Float(8, 4, 5) * 2);
        var lp = Naive.Softmax(logits.ToFloat64Array(), [4, 5], 1, log: true);
        var pv = probs.ToFloat64Array();
        double smoothing = 0.2;
        var expected = new double[4];
        for (int n = 0; n < 4; n++)
            for (int c = 0; c < 5; c++)
                expected[n] -= ((1 - smoothing) * pv[n * 5 + c] + smoothing / 5) * lp[n * 5 + c];
        Reference.Close(expected, F.CrossEntropy(logits, probs, "none", smoothing).ToFloat64Array(), 1e-5, 1e-5);
        Assert.Equal(expected.Average(), F.CrossEntropy(logits, probs, labelSmoothing: smoothing).Item(), 1e-5);

        var t = new[] { 3, 0, 4, 1 };
        var oneHot = Tensor.FromArray(Naive.Build([4, 5], i => t[i[0]] == i[1] ? 1f : 0f).Select(v => (float)v).ToArray(), 4, 5);
        Assert.Equal(F.CrossEntropy(logits, Tensor.FromArray(t, 4), "sum", 0.1).Item(), F.CrossEntropy(logits, oneHot, "sum", 0.1).Item(), 1e-4);
    }

    [Fact]
    public void SoftTargetGradientsReachLogitsAndProbabilities()
    {
        var logits = Reference.LeafInRange(9, -2.0, 2.0, 3, 4);
        var probs = Reference.LeafInRange(10, 0.0, 1.0, 3, 4);
        GradCheck.Check(t => F.CrossEntropy(t[0], t[1]), [logits, probs]);
        GradCheck.Check(t => F.CrossEntropy(t[0], t[1], "none", 0.3), [logits, probs]);
        var spatial = Reference.Leaf(11, 2, 3, 2);
        var spatialProbs = Reference.LeafInRange(12, 0.0, 1.0, 2, 3, 2);
        GradCheck.Check(t => F.CrossEntropy(t[0], t[1], "sum"), [spatial, spatialProbs]);
    }

    [Fact]
    public void BadTargetsAndArgumentsAreRejectedClearly()
    {
        var logits = Reference.Float(13, 3, 4);
        var err = Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, Tensor.FromArray(new[] { 1, 7, 2 }, 3)));
        Assert.Contains("target 7", err.Message);
        Assert.Contains("index [1]", err.Message);
        Assert.Contains("4 classes", err.Message);
        var negative = Assert.Throws<ArgumentException>(() => F.NllLoss(Reference.Float(14, 2, 3, 2), Tensor.FromArray(new[] { 0, 1, 2, -1 }, 2, 2)));
        Assert.Contains("target -1", negative.Message);
        Assert.Contains("index [1, 1]", negative.Message);
        var shape = Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, Tensor.FromArray(new[] { 1, 2 }, 2)));
        Assert.Contains("[3, 4]", shape.Message);
        Assert.Contains("expected [3]", shape.Message);
        Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, Tensor.FromArray(new[] { 1, 2, 0 }, 3), "average"));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.CrossEntropy(logits, Tensor.FromArray(new[] { 1, 2, 0 }, 3), labelSmoothing: 1.5));
        Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, Reference.Float(15, 3, 5)));
        Assert.Throws<ArgumentException>(() => F.NllLoss(logits, Reference.Float(16, 3)));
    }
}

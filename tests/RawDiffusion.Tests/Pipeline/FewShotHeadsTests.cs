using RawDiffusion.Pipeline;
using RawDiffusion.Tasks;

namespace RawDiffusion.Tests.Pipeline;

/// <summary>The baselines every generated head is compared with, each checked against an independent computation:
/// nearest class mean by explicit distances, finite differences of the loss, and a hand-computed optimum.</summary>
public sealed class FewShotHeadsTests
{
    /// <summary>Three Gaussian blobs in 6 dimensions; <paramref name="perClass"/> rows each, class by class.</summary>
    static FeatureSet Blobs(int perClass, ulong seed, double spread = 1.0)
    {
        var rng = new Random((int)seed);
        int classes = 3, features = 6;
        var x = new float[classes * perClass * features];
        var y = new int[classes * perClass];
        for (int c = 0; c < classes; c++)
            for (int k = 0; k < perClass; k++)
            {
                int i = c * perClass + k;
                y[i] = c;
                for (int j = 0; j < features; j++)
                    x[i * features + j] = (float)((j == c ? 3.0 : 0.0) + (j == 5 ? 10 : 0) + spread * (rng.NextDouble() * 2 - 1) * (j == 4 ? 5 : 1));
            }
        return new FeatureSet(x, y, [features], ["a", "b", "c"], "blobs");
    }

    [Fact]
    public void PrototypeHeadIsTheNearestClassMeanClassifier()
    {
        var support = Blobs(5, 1, spread: 2);
        var test = Blobs(200, 2, spread: 2);
        var head = FewShotHeads.Prototype(support);
        var means = Enumerable.Range(0, 3).Select(c => Enumerable.Range(0, 6).Select(j =>
            Enumerable.Range(0, support.Count).Where(i => support.Labels[i] == c).Average(i => (double)support.Row(i)[j])).ToArray()).ToArray();
        int agree = 0, correct = 0;
        for (int i = 0; i < test.Count; i++)
        {
            var row = test.Row(i).ToArray();
            int nearest = Enumerable.Range(0, 3).MinBy(c => row.Select((v, j) => (v - means[c][j]) * (v - means[c][j])).Sum());
            int argmax = Enumerable.Range(0, 3).MaxBy(c => head.Bias[c] + row.Select((v, j) => (double)head.Weight[c * 6 + j] * v).Sum());
            if (nearest == argmax) agree++;
            if (nearest == test.Labels[i]) correct++;
        }
        Assert.Equal(test.Count, agree);
        Assert.Equal(correct / (double)test.Count, head.Accuracy(test), 12);
    }

    [Fact]
    public void LossGradientMatchesFiniteDifferences()
    {
        var support = Blobs(4, 3);
        int classes = 3, features = 6;
        var x = Enumerable.Range(0, support.Count * features).Select(i => (double)support.Features[i]).ToArray();
        var rng = new Random(4);
        var w = Enumerable.Range(0, classes * features).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var b = Enumerable.Range(0, classes).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var gw = new double[w.Length];
        var gb = new double[b.Length];
        const double decay = 0.01, h = 1e-6;
        FewShotHeads.Loss(x, support.Labels, classes, features, w, b, decay, gw, gb);
        for (int k = 0; k < w.Length; k++)
        {
            double saved = w[k];
            w[k] = saved + h;
            double plus = FewShotHeads.Loss(x, support.Labels, classes, features, w, b, decay);
            w[k] = saved - h;
            double minus = FewShotHeads.Loss(x, support.Labels, classes, features, w, b, decay);
            w[k] = saved;
            Assert.Equal((plus - minus) / (2 * h), gw[k], 6);
        }
        for (int c = 0; c < classes; c++)
        {
            double saved = b[c];
            b[c] = saved + h;
            double plus = FewShotHeads.Loss(x, support.Labels, classes, features, w, b, decay);
            b[c] = saved - h;
            double minus = FewShotHeads.Loss(x, support.Labels, classes, features, w, b, decay);
            b[c] = saved;
            Assert.Equal((plus - minus) / (2 * h), gb[c], 6);
        }
    }

    [Fact]
    public void ProbeFitsItsSupportAndGeneralisesOnSeparableBlobs()
    {
        var support = Blobs(5, 5);
        var probe = FewShotHeads.Probe(support);
        Assert.Equal(1.0, probe.Accuracy(support));
        Assert.True(probe.Accuracy(Blobs(300, 6)) > 0.9);
        // Standardisation is folded back: the raw-coordinate head scores raw rows exactly as the standardised fit would,
        // so a constant feature (j = 5 is 10 +- noise) does not dominate the logits.
        Assert.All(probe.Weight, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void RefinementLowersTheSupportLossAndKeepsAPerfectHeadPerfect()
    {
        var support = Blobs(5, 7);
        var start = new LinearHead(new float[18], new float[3]);
        var refined = FewShotHeads.Refine(start, support, 50, 0.05);
        double Loss(LinearHead head) => FewShotHeads.Loss(support.Features.Select(v => (double)v).ToArray(), support.Labels, 3, 6,
            head.Weight.Select(v => (double)v).ToArray(), head.Bias.Select(v => (double)v).ToArray(), 0);
        Assert.Equal(Math.Log(3), Loss(start), 12);
        Assert.True(Loss(refined) < 0.5 * Math.Log(3));
        Assert.Throws<ArgumentException>(() => FewShotHeads.Refine(new LinearHead(new float[12], new float[2]), support, 1, 0.1));
    }
}

using RawDiffusion.Pipeline;
using RawDiffusion.Zoo;

namespace RawDiffusion.Tests.Pipeline;

/// <summary>Class-structured generation's data plumbing: rows in and out of a head, and the per-class conditions.</summary>
public sealed class ClassRowsTests
{
    static readonly TargetArchitecture Head = TargetArchitecture.Resolve("linear-head") with { Inputs = 4, Classes = 3 };

    [Fact]
    public void SplitCentresTheRowsAndAssembleGivesTheSameLogitsUpToAShift()
    {
        var rng = new Random(1);
        var weight = Enumerable.Range(0, 12).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var bias = new float[] { 0.5f, -1f, 2f };
        var (w, b) = ClassRows.HeadTensors(Head);
        var rows = ClassRows.Split(Head, new Dictionary<string, float[]> { [w.Name] = weight, [b.Name] = bias });
        Assert.Equal(3, rows.Length);
        for (int j = 0; j < 4; j++) Assert.Equal(0, rows.Sum(r => (double)r["weight"][j]), 6);
        Assert.Equal(0, rows.Sum(r => (double)r["bias"][0]), 6);
        var head = ClassRows.Assemble(Head, rows);
        // Logit differences between classes are unchanged for any input, so softmax and argmax are unchanged.
        var x = new[] { 0.3, -2.0, 1.5, 0.7 };
        double Logit(float[] wt, float[] bs, int c) => bs[c] + Enumerable.Range(0, 4).Sum(j => wt[c * 4 + j] * x[j]);
        for (int c = 1; c < 3; c++)
            Assert.Equal(Logit(weight, bias, c) - Logit(weight, bias, 0), Logit(head[w.Name], head[b.Name], c) - Logit(head[w.Name], head[b.Name], 0), 5);
    }

    [Fact]
    public void RowLayoutPadsAndRejectsShortVectorsAndOtherArchitectures()
    {
        var layout = ClassRows.RowLayout(Head, 8);
        Assert.Equal(8, layout.VectorLength);
        Assert.Equal(5, layout.ParameterCount);
        Assert.Contains("model.vae.vectorLength", Assert.Throws<ArgumentException>(() => ClassRows.RowLayout(Head, 4)).Message);
        var twoLayer = TargetArchitecture.Resolve("two-layer-head");
        Assert.Contains("vectors.layout", Assert.Throws<ArgumentException>(() => ClassRows.HeadTensors(twoLayer)).Message);
    }

    [Fact]
    public void ConditionsAreCentredPrototypesAndTheTaskMean()
    {
        // 2 sets x 3 classes x 2 examples x 2 features, computed by hand below.
        var rng = new Random(2);
        var supports = Enumerable.Range(0, 2 * 3 * 2 * 2).Select(_ => (float)rng.Next(-5, 6)).ToArray();
        var conditions = ClassRows.Conditions(supports, 2, 3, 2, 2);
        Assert.Equal(2 * 3 * 4, conditions.Length);
        for (int s = 0; s < 2; s++)
        {
            double[,] proto = new double[3, 2];
            for (int c = 0; c < 3; c++)
                for (int j = 0; j < 2; j++)
                    proto[c, j] = (supports[((s * 3 + c) * 2 + 0) * 2 + j] + supports[((s * 3 + c) * 2 + 1) * 2 + j]) / 2.0;
            for (int c = 0; c < 3; c++)
                for (int j = 0; j < 2; j++)
                {
                    double mean = (proto[0, j] + proto[1, j] + proto[2, j]) / 3;
                    Assert.Equal(proto[c, j] - mean, conditions[(s * 3 + c) * 4 + j], 5);
                    Assert.Equal(mean, conditions[(s * 3 + c) * 4 + 2 + j], 5);
                }
        }
        Assert.Throws<ArgumentException>(() => ClassRows.Conditions(supports, 3, 3, 2, 2));
    }
}

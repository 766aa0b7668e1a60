using RawDiffusion.Models;
using RawDiffusion.Nn;
using RawDiffusion.Tests.Testing;
using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Tests.Models;

public class ContrastiveAlignmentTests
{
    [Fact]
    public void TrainingWithTheLossRanksEachDatasetsOwnLatentFirst()
    {
        // Eight toy "datasets": features are a fixed random mixing of each one's latent plus noise; an encoder
        // trained with the alignment loss must score every dataset's own latent above all others.
        int n = 8, e = 12, f = 20;
        var latents = Reference.Float(1, n, e);
        var mixing = Reference.Float(2, e, f);
        var features = latents.MatMul(mixing) + Reference.Float(3, n, f) * 0.1;
        var encoder = new Linear(f, e, generator: new Generator(4));
        var optimizer = new Adam(encoder.Parameters(), 1e-2);
        double first = 0, last = 0;
        for (int step = 0; step < 300; step++)
        {
            using var scope = DisposeScope.Enter();
            var loss = ContrastiveAlignment.Loss(encoder.Forward(features), latents, temperature: 1);
            if (step == 0) first = loss.Item();
            last = loss.Item();
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
        Assert.True(last < first, $"loss did not decrease: {first} -> {last}");
        var scores = latents.MatMul(encoder.Forward(features).Transpose(0, 1)).ToFloat64Array();
        for (int i = 0; i < n; i++)
        {
            int best = Enumerable.Range(0, n).MaxBy(j => scores[i * n + j]);
            Assert.Equal(i, best);
        }
    }

    [Fact]
    public void LossGradientMatchesFiniteDifferencesAndShapesAreChecked()
    {
        var d = Reference.Leaf(5, 4, 3);
        var w = Reference.Leaf(6, 4, 3);
        w.RequiresGrad = false;
        RawDiffusion.Tests.Testing.GradCheck.Check(t => ContrastiveAlignment.Loss(t[0], w, 0.5), [d]);
        Assert.Throws<ArgumentException>(() => ContrastiveAlignment.Loss(Tensor.Zeros([4, 3]), Tensor.Zeros([4, 2])));
        Assert.Throws<ArgumentOutOfRangeException>(() => ContrastiveAlignment.Loss(Tensor.Zeros([4, 3]), Tensor.Zeros([4, 3]), 0));
    }
}

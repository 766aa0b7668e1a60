using RawDiffusion.Models;
using RawDiffusion.Tests.Testing;
using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Tests.Models;

public class AccuracyPredictorTests
{
    [Fact]
    public void PredictorLearnsAccuracyFromWeightsAndGradientsMatchFiniteDifferences()
    {
        // Toy zoo: "accuracy" is a smooth function of the weights, as it is for real networks near a solution.
        var weights = Reference.Float(1, 64, 12);
        var direction = Reference.Float(2, 12, 1);
        var accuracy = F.Sigmoid(weights.MatMul(direction)).Reshape(64);
        var predictor = new AccuracyPredictor(12, hidden: 32, generator: new Generator(3));
        var optimizer = new Adam(predictor.Parameters(), 1e-2);
        double first = 0, last = 0;
        for (int step = 0; step < 300; step++)
        {
            using var scope = DisposeScope.Enter();
            var loss = predictor.Loss(weights, accuracy);
            if (step == 0) first = loss.Item();
            last = loss.Item();
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
        Assert.True(last < first / 10, $"predictor loss {first:G3} -> {last:G3}");

        using var _ = DefaultDType.Use(DType.Float64);
        var small = new AccuracyPredictor(4, hidden: 3, generator: new Generator(4));
        var x = Reference.Leaf(5, 2, 4);
        GradCheck.Check(t => small.Forward(t[0]), [x, .. small.Parameters()], atol: 1e-6, rtol: 1e-4);
        Assert.Throws<ArgumentException>(() => small.Forward(Tensor.Zeros([2, 5], DType.Float64)));
    }

    [Fact]
    public void PredictorGuidedLossTrainsOnlyTheReconstructionAndItsVariance()
    {
        using var _ = DefaultDType.Use(DType.Float64);
        var predictor = new AccuracyPredictor(4, hidden: 3, generator: new Generator(6));
        var loss = new PredictorGuidedLoss(predictor);
        var original = Reference.Leaf(7, 2, 4);
        original.RequiresGrad = false;
        var reconstruction = Reference.Leaf(8, 2, 4);
        GradCheck.Check(t => loss.Forward(original, t[0]), [reconstruction, loss.LogVariance], atol: 1e-6, rtol: 1e-4);
        // The predictor is frozen: gradients reach the reconstruction through it, but its parameters get none.
        reconstruction.ZeroGrad();
        loss.Forward(original, reconstruction).Backward();
        Assert.All(predictor.Parameters(), p => Assert.Null(p.Grad));
        Assert.Contains(reconstruction.Grad!.ToFloat64Array(), v => v != 0);
    }
}

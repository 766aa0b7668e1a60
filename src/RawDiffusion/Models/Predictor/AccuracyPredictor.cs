using RawDiffusion.Backends;
using RawDiffusion.Nn;

namespace RawDiffusion.Models;

/// <summary>An MLP that predicts a network's accuracy (in [0, 1]) from its weight vector. Its hidden layer is the
/// "predictor embedding" g(w) that the predictor-guided VAE loss (D2NWG Eq. 9) compares between original and reconstructed weights.</summary>
public sealed class AccuracyPredictor : Module
{
    public AccuracyPredictor(int vectorLength, int hidden = 256, Generator? generator = null)
    {
        VectorLength = vectorLength;
        Input = RegisterModule("fc1", new Linear(vectorLength, hidden, generator: generator));
        Middle = RegisterModule("fc2", new Linear(hidden, hidden, generator: generator));
        Output = RegisterModule("fc3", new Linear(hidden, 1, generator: generator));
    }

    public int VectorLength { get; }
    public Linear Input { get; }
    public Linear Middle { get; }
    public Linear Output { get; }

    /// <summary>g(w): [B, L] -> [B, hidden].</summary>
    public Tensor Embed(Tensor vectors)
    {
        if (vectors.Rank != 2 || vectors.Shape[1] != VectorLength)
            throw new ArgumentException($"AccuracyPredictor expects [B, {VectorLength}], got {ShapeMath.Format(vectors.Shape)}", nameof(vectors));
        return Middle.Forward(Input.Forward(vectors, UnaryOp.Relu), UnaryOp.Relu);
    }

    /// <summary>Predicted accuracy in [0, 1]: [B, L] -> [B].</summary>
    public Tensor Forward(Tensor vectors)
    {
        var p = F.Sigmoid(Output.Forward(Embed(vectors)));
        return p.Reshape(p.Shape[0]);
    }

    /// <summary>Training loss against measured accuracies [B] in [0, 1].</summary>
    public Tensor Loss(Tensor vectors, Tensor accuracies) => F.MseLoss(Forward(vectors), accuracies);
}

/// <summary>D2NWG Eq. 9: ‖w − f(w)‖/σ² + log σ² + ‖g(w) − g(f(w))‖², with a learned scalar log σ² and a frozen
/// accuracy predictor g, so reconstructions keep what the predictor sees in the weights, not just their values.</summary>
public sealed class PredictorGuidedLoss : Module
{
    readonly AccuracyPredictor predictor;

    /// <param name="trainedPredictor">Frozen here (its parameters stop requiring gradients): only the VAE learns from this loss.</param>
    public PredictorGuidedLoss(AccuracyPredictor trainedPredictor)
    {
        predictor = trainedPredictor;
        foreach (var p in predictor.Parameters()) p.RequiresGrad = false;
        using (DisposeScope.Suspend()) LogVariance = RegisterParameter("logvar", Tensor.Zeros([1]));
    }

    /// <summary>log σ², trained together with the VAE.</summary>
    public Tensor LogVariance { get; }

    public Tensor Forward(Tensor original, Tensor reconstruction)
    {
        var rec = (original - reconstruction).Abs().Mean() / LogVariance.Exp() + LogVariance;
        Tensor target;
        using (GradMode.NoGrad()) target = predictor.Embed(original);
        var guided = F.MseLoss(predictor.Embed(reconstruction), target);
        return rec.Sum() + guided;
    }
}

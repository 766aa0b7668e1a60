using RawDiffusion.Nn;

namespace RawDiffusion.Models;

/// <summary>A weight VAE together with D2NWG's Eq. 9 loss while it trains: one module, so the optimizer and the
/// training checkpoints hold the VAE's parameters and the loss's learned log σ² alike ("vae.*", "loss.logvar").
/// The accuracy predictor inside the loss is frozen and stays its loader's to dispose (disposing this module
/// disposes the VAE). Only the VAE is saved as the stage's model.</summary>
public sealed class PredictorGuidedVae : Module
{
    public PredictorGuidedVae(WeightVae vae, AccuracyPredictor trainedPredictor)
    {
        if (trainedPredictor.VectorLength != vae.Config.VectorLength)
            throw new ArgumentException($"the accuracy predictor takes vectors of {trainedPredictor.VectorLength} values, the VAE {vae.Config.VectorLength}", nameof(trainedPredictor));
        Vae = RegisterModule("vae", vae);
        Guide = RegisterModule("loss", new PredictorGuidedLoss(trainedPredictor));
    }

    public WeightVae Vae { get; }
    public PredictorGuidedLoss Guide { get; }

    /// <summary>Eq. 9 + beta · KL; the reconstruction entry is the Eq. 9 term.</summary>
    public (Tensor Total, Tensor Reconstruction, Tensor Kl) Loss(Tensor vectors, VaeOutput output)
    {
        var rec = Guide.Forward(vectors, output.Reconstruction);
        var kl = WeightVae.Kl(output);
        return (rec + kl * Vae.Config.Beta, rec, kl);
    }
}

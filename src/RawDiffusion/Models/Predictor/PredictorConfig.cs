namespace RawDiffusion.Models;

/// <summary>The accuracy predictor of a run (<see cref="AccuracyPredictor"/>): an MLP from a network's standardised
/// weight vector to its accuracy, used to rank generated samples and, with `vae.reconstruction: "predictor-guided"`, as
/// the frozen g of D2NWG's Eq. 9.</summary>
public sealed record PredictorConfig
{
    public int Hidden { get; init; } = 128;

    public void Validate(string source = "predictor")
    {
        if (Hidden <= 0) throw new ArgumentException($"{source}.hidden: must be positive, got {Hidden}");
    }
}

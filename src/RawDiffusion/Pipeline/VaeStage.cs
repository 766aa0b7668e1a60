using RawDiffusion.Nn;
using RawDiffusion.Models;
using RawDiffusion.Training;
using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Pipeline;

/// <summary>Stage 2: the weight VAE on the zoo's normalised vectors (vae.safetensors), with its latent scale fitted so
/// the diffusion model sees unit-variance latents. With `reconstruction: "predictor-guided"` it learns D2NWG's Eq. 9
/// against the run's frozen accuracy predictor.</summary>
public static class VaeStage
{
    public const string Name = "vae";

    public static TrainingLoopResult Train(RunContext context, StageOptions options)
    {
        var (config, run, vectors) = (context.Config, context.Run, context.Vectors);
        var settings = config.Training.Vae;
        using var vae = new WeightVae(config.Model.Vae, new Generator((ulong)settings.Seed));
        // Eq. 9: the VAE and the loss's learned log σ² train together (and are checkpointed together); g stays frozen.
        using var predictor = config.Model.Vae.Reconstruction == VaeConfig.PredictorGuided ? LoadPredictor(context) : null;
        using var guided = predictor != null ? new PredictorGuidedVae(vae, predictor) : null;
        Module trained = guided != null ? guided : vae;
        using var optimizer = new AdamW(trained.Parameters(), settings.LearningRate);
        int length = vectors.Length, batch = settings.BatchSize;
        var result = StageTrainer.Train(context, Name, settings, Metadata(config), trained, optimizer, null, options, generator =>
        {
            var rng = generator.HostRandom();
            var x = new float[batch * length];
            for (int b = 0; b < batch; b++) vectors.Normalized.AsSpan(rng.Next(vectors.Count) * length, length).CopyTo(x.AsSpan(b * length));
            var input = Tensor.FromArray(x, batch, length);
            var output = vae.Forward(input, generator);
            var (total, reconstruction, kl) = guided != null ? guided.Loss(input, output) : vae.Loss(input, output);
            return new Dictionary<string, Tensor> { ["loss"] = total, ["reconstruction"] = reconstruction, ["kl"] = kl };
        });
        if (result.Interrupted) return result;
        vae.Eval();
        using (DisposeScope.Enter()) vae.FitLatentScale(Tensor.FromArray(vectors.Normalized, vectors.Count, length));
        Checkpoint.Save(run.StageModel(Name), vae, metadata: Metadata(config));
        return result;
    }

    static AccuracyPredictor LoadPredictor(RunContext context) =>
        PredictorStage.Load(context.Config, context.Run, PredictorSpace.Of(context.Config, context.Vectors));

    internal static Dictionary<string, string> Metadata(PipelineConfig config) => new()
    {
        ["config"] = config.Model.Vae.Reconstruction == VaeConfig.PredictorGuided
            ? PipelineConfig.Hash(new object[] { PredictorStage.Metadata(config)["config"], config.Model.Vae, config.Training.Vae })
            : PipelineConfig.Hash(new object[] { config.Backbone, config.Tasks, config.Zoo, config.Vectors, config.Model.Vae, config.Training.Vae }),
    };

    /// <summary>The trained VAE of the run, in eval mode.</summary>
    public static WeightVae Load(PipelineConfig config, RunFolder run)
    {
        var vae = new WeightVae(config.Model.Vae, new Generator(0));
        Checkpoint.Load(run.Require(run.StageModel(Name), "train vae"), vae);
        vae.Eval();
        return vae;
    }

    /// <summary>Scaled posterior means [Count, LatentSize] of all zoo vectors: the diffusion model's data.</summary>
    public static float[] Latents(WeightVae vae, ZooVectors vectors)
    {
        using var _ = GradMode.NoGrad();
        using var scope = DisposeScope.Enter();
        var mean = vae.Encode(Tensor.FromArray(vectors.Normalized, vectors.Count, vectors.Length)).Mean;
        return (mean * vae.LatentScale).ToArray<float>();
    }
}

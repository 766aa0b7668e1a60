using RawDiffusion.Models;
using RawDiffusion.Training;
using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Pipeline;

/// <summary>Stage 2: the weight VAE on the zoo's normalised vectors (vae.safetensors), with its latent scale fitted so
/// the diffusion model sees unit-variance latents.</summary>
public static class VaeStage
{
    public const string Name = "vae";

    public static TrainingLoopResult Train(RunContext context, StageOptions options)
    {
        var (config, run, vectors) = (context.Config, context.Run, context.Vectors);
        var settings = config.Training.Vae;
        using var vae = new WeightVae(config.Model.Vae, new Generator((ulong)settings.Seed));
        using var optimizer = new AdamW(vae.Parameters(), settings.LearningRate);
        int length = vectors.Length, batch = settings.BatchSize;
        var result = StageTrainer.Train(context, Name, settings, Metadata(config), vae, optimizer, null, options, generator =>
        {
            var rng = generator.HostRandom();
            var x = new float[batch * length];
            for (int b = 0; b < batch; b++) vectors.Normalized.AsSpan(rng.Next(vectors.Count) * length, length).CopyTo(x.AsSpan(b * length));
            var input = Tensor.FromArray(x, batch, length);
            var (total, reconstruction, kl) = vae.Loss(input, vae.Forward(input, generator));
            return new Dictionary<string, Tensor> { ["loss"] = total, ["reconstruction"] = reconstruction, ["kl"] = kl };
        });
        if (result.Interrupted) return result;
        vae.Eval();
        using (DisposeScope.Enter()) vae.FitLatentScale(Tensor.FromArray(vectors.Normalized, vectors.Count, length));
        Checkpoint.Save(run.StageModel(Name), vae, metadata: Metadata(config));
        return result;
    }

    internal static Dictionary<string, string> Metadata(PipelineConfig config) => new()
    {
        ["config"] = PipelineConfig.Hash(new object[] { config.Backbone, config.Tasks, config.Zoo, config.Vectors, config.Model.Vae, config.Training.Vae }),
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

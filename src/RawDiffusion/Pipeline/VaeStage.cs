using RawDiffusion.Models;
using RawDiffusion.Training;
using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Pipeline;

/// <summary>Stage 2: the weight VAE on the zoo's normalised vectors (vae.safetensors), with its latent scale fitted so
/// the diffusion model sees unit-variance latents.</summary>
public static class VaeStage
{
    public const string Name = "vae";

    public static TrainingLoopResult Train(PipelineConfig config, RunFolder run, ZooVectors vectors, StageOptions options)
    {
        var settings = config.Training.Vae;
        using var vae = new WeightVae(config.Model.Vae, new Generator((ulong)settings.Seed));
        using var optimizer = new AdamW(vae.Parameters(), settings.LearningRate);
        using var metrics = new MetricsCsv(run.StageMetrics(Name)) { Note = $"device: {Backends.Backend.DefaultDescription}" };
        Directory.CreateDirectory(run.Checkpoints);
        int length = vectors.Length, batch = settings.BatchSize;
        var result = options.Run(Name, settings.Steps, progress => TrainingLoop.Run(vae, optimizer, null,
            new TrainingLoopOptions(settings.Steps, run.StageCheckpoint(Name), (ulong)settings.Seed, settings.CheckpointEvery, options.ResumeFrom(run.StageCheckpoint(Name)), Metadata(config)),
            (_, generator) =>
            {
                var rng = generator.HostRandom();
                var x = new float[batch * length];
                for (int b = 0; b < batch; b++) vectors.Normalized.AsSpan(rng.Next(vectors.Count) * length, length).CopyTo(x.AsSpan(b * length));
                var input = Tensor.FromArray(x, batch, length);
                var (total, reconstruction, kl) = vae.Loss(input, vae.Forward(input, generator));
                optimizer.ZeroGrad();
                total.Backward();
                optimizer.Step();
                return new Dictionary<string, double> { ["loss"] = total.Item(), ["reconstruction"] = reconstruction.Item(), ["kl"] = kl.Item() };
            }, metrics, progress, options.Cancel));
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

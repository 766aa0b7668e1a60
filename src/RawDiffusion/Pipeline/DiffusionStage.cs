using RawDiffusion.Diffusion;
using RawDiffusion.Models;
using RawDiffusion.Training;
using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Pipeline;

/// <summary>Stage 4: the latent DDPM UNet, conditioned on dataset embeddings (diffusion.safetensors holds the EMA
/// weights). Conditions are embeddings of support sets drawn from each seen task's training rows (a fixed number of
/// draws per task, computed once with the frozen encoder); conditions are dropped at the configured rate so
/// sampling can use classifier-free guidance.</summary>
public static class DiffusionStage
{
    public const string Name = "diffusion";

    public static TrainingLoopResult Train(PipelineConfig config, RunFolder run, RunData data, ZooVectors vectors, float[] latents, StageOptions options)
    {
        var settings = config.Training.Diffusion;
        using var encoderModule = EncoderStage.Load(config, run);
        var encoder = (IDatasetEncoder)encoderModule;
        int draws = config.Training.ConditionDraws, z = latents.Length / vectors.Count, e = config.Model.DatasetEncoder.OutputLength;
        var conditionGenerator = new Generator((ulong)settings.Seed + 1);
        var conditions = vectors.Tasks.Select(t => EncoderStage.Embed(encoder, data.For(t).Train, config.Sampling.SupportPerClass, draws, conditionGenerator)).ToArray();

        using var unet = new UNet(config.Model.UNet, new Generator((ulong)settings.Seed));
        using var optimizer = new AdamW(unet.Parameters(), settings.LearningRate);
        using var ema = new Ema(unet, config.Model.Diffusion.EmaDecay);
        using var metrics = new MetricsCsv(run.StageMetrics(Name)) { Note = $"device: {Backends.Backend.DefaultDescription}" };
        Directory.CreateDirectory(run.Checkpoints);
        var diffusion = new GaussianDiffusion(config.Model.Diffusion.CreateSchedule());
        int[] latentShape = [config.Model.UNet.LatentChannels, config.Model.UNet.ImageSize, config.Model.UNet.ImageSize];
        int batch = settings.BatchSize;
        var result = options.Run(Name, settings.Steps, progress => TrainingLoop.Run(unet, optimizer, ema,
            new TrainingLoopOptions(settings.Steps, run.StageCheckpoint(Name), (ulong)settings.Seed, settings.CheckpointEvery, options.ResumeFrom(run.StageCheckpoint(Name)), Metadata(config)),
            (_, generator) =>
            {
                var rng = generator.HostRandom();
                var x0 = new float[batch * z];
                var c = new float[batch * e];
                for (int b = 0; b < batch; b++)
                {
                    int row = rng.Next(vectors.Count);
                    latents.AsSpan(row * z, z).CopyTo(x0.AsSpan(b * z));
                    conditions[vectors.TaskOf[row]].AsSpan(rng.Next(draws) * e, e).CopyTo(c.AsSpan(b * e));
                }
                var condition = unet.DropConditions(new UNetCondition(Vector: Tensor.FromArray(c, batch, e)), generator);
                var loss = diffusion.TrainingLoss((xt, t, conditional) => unet.Forward(xt, t, conditional ? condition : null),
                                                  Tensor.FromArray(x0, [batch, .. latentShape]), generator);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                return new Dictionary<string, double> { ["loss"] = loss.Item() };
            }, metrics, progress, options.Cancel));
        if (result.Interrupted) return result;
        using (ema.AverageWeights()) Checkpoint.Save(run.StageModel(Name), unet, metadata: Metadata(config));
        return result;
    }

    internal static Dictionary<string, string> Metadata(PipelineConfig config) => new()
    {
        ["config"] = PipelineConfig.Hash(new object[] { EncoderStage.Metadata(config)["config"], config.Model.UNet, config.Model.Diffusion, config.Training.Diffusion, config.Training.ConditionDraws }),
    };

    public static UNet Load(PipelineConfig config, RunFolder run)
    {
        var unet = new UNet(config.Model.UNet, new Generator(0));
        Checkpoint.Load(run.Require(run.StageModel(Name), "train diffusion"), unet);
        unet.Eval();
        return unet;
    }
}

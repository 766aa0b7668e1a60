using RawDiffusion.Diffusion;
using RawDiffusion.Models;
using RawDiffusion.Training;
using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Pipeline;

/// <summary>Stage 4: the latent DDPM UNet, conditioned on support sets (diffusion.safetensors holds the EMA weights).
/// Conditions come from support sets drawn from each seen task's training rows (a fixed number of draws per task,
/// computed once through the <see cref="SupportConditioner"/>: the frozen dataset encoder, or class-row prototypes);
/// conditions are dropped at the configured rate so sampling can use classifier-free guidance. In a mixed-architecture
/// zoo each vector's condition also says its architecture (<see cref="ArchitectureCondition"/>).</summary>
public static class DiffusionStage
{
    public const string Name = "diffusion";

    public static TrainingLoopResult Train(RunContext context, StageOptions options)
    {
        var (config, run, data, vectors, latents) = (context.Config, context.Run, context.Data, context.Vectors, context.Latents.Values);
        var settings = config.Training.Diffusion;
        using var conditioner = SupportConditioner.Load(config, run);
        int draws = config.Training.ConditionDraws, z = latents.Length / vectors.Count, e = conditioner.Length, perSet = vectors.RowsPerModel;
        // A mixed-architecture zoo appends each vector's architecture (one-hot) to its dataset condition.
        int architectures = config.ArchitectureConditionLength, width = e + architectures;
        var conditionGenerator = new Generator((ulong)settings.Seed + 1);
        // [task][draw, vector of the set, E]: vector v's condition is the one of its class (row) in a draw of its task.
        var conditions = vectors.Tasks.Select(t => conditioner.Draw(data.For(t).Train, config.Sampling.SupportPerClass, draws, conditionGenerator)).ToArray();

        using var unet = new UNet(config.Model.UNet, new Generator((ulong)settings.Seed));
        using var optimizer = new AdamW(unet.Parameters(), settings.LearningRate);
        using var ema = new Ema(unet, config.Model.Diffusion.EmaDecay);
        var diffusion = new GaussianDiffusion(config.Model.Diffusion.CreateSchedule());
        int[] latentShape = config.Model.UNet.InputShape;
        int batch = settings.BatchSize;
        var result = StageTrainer.Train(context, Name, settings, Metadata(config), unet, optimizer, ema, options, generator =>
        {
            var rng = generator.HostRandom();
            var x0 = new float[batch * z];
            var c = new float[batch * width];
            for (int b = 0; b < batch; b++)
            {
                int row = rng.Next(vectors.Count);
                latents.AsSpan(row * z, z).CopyTo(x0.AsSpan(b * z));
                conditions[vectors.TaskOf[row]].AsSpan((rng.Next(draws) * perSet + vectors.ClassOf(row)) * e, e).CopyTo(c.AsSpan(b * width));
                if (architectures > 0) ArchitectureCondition.Write(c.AsSpan(b * width + e, architectures), vectors.ArchitectureOf(row), architectures);
            }
            var condition = unet.DropConditions(new UNetCondition(Vector: Tensor.FromArray(c, batch, width)), generator);
            return new Dictionary<string, Tensor>
            {
                ["loss"] = diffusion.TrainingLoss((xt, t, conditional) => unet.Forward(xt, t, conditional ? condition : null), Tensor.FromArray(x0, [batch, .. latentShape]), generator),
            };
        });
        if (result.Interrupted) return result;
        using (ema.AverageWeights()) Checkpoint.Save(run.StageModel(Name), unet, metadata: Metadata(config));
        return result;
    }

    internal static Dictionary<string, string> Metadata(PipelineConfig config) => new()
    {
        ["config"] = PipelineConfig.Hash(new object[] { EncoderStage.Metadata(config)["config"], config.Condition, config.Model.UNet, config.Model.Diffusion, config.Training.Diffusion, config.Training.ConditionDraws }),
    };

    public static UNet Load(PipelineConfig config, RunFolder run)
    {
        var unet = new UNet(config.Model.UNet, new Generator(0));
        Checkpoint.Load(run.Require(run.StageModel(Name), "train diffusion"), unet);
        unet.Eval();
        return unet;
    }
}

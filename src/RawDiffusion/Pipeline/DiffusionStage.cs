using RawDiffusion.Diffusion;
using RawDiffusion.Models;
using RawDiffusion.Training;
using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Pipeline;

/// <summary>Stage 4: the latent DDPM UNet, conditioned on each seen task (diffusion.safetensors holds the EMA weights)
/// through the <see cref="TaskConditioner"/>: support sets drawn from the task's training rows (a fixed number of draws
/// per task, computed once: the frozen dataset encoder, or class-row prototypes), its index for the learned task
/// embeddings, its text vector, as condition.kind lists them; in a mixed-architecture
/// zoo each vector's condition then says its architecture (<see cref="ArchitectureCondition"/>, appended last). Conditions are dropped at the configured rate (vectors to
/// zeros, the task to the null task) so sampling can use classifier-free guidance.</summary>
public static class DiffusionStage
{
    public const string Name = "diffusion";

    public static TrainingLoopResult Train(RunContext context, StageOptions options)
    {
        var (config, run, data, vectors, latents) = (context.Config, context.Run, context.Data, context.Vectors, context.Latents.Values);
        var settings = config.Training.Diffusion;
        using var conditioner = TaskConditioner.Load(config, run, vectors.Tasks);
        int draws = config.Training.ConditionDraws, z = latents.Length / vectors.Count, e = conditioner.VectorLength, perSet = vectors.RowsPerModel;
        bool taskIds = conditioner.Has(ConditionConfig.TaskIdKind);
        // A mixed-architecture zoo appends each vector's architecture (one-hot) after the task's condition parts.
        int architectures = config.ArchitectureConditionLength, width = e + architectures;
        var conditionGenerator = new Generator((ulong)settings.Seed + 1);
        // [task][draw, vector of the set, E]: vector v's condition is the one of its class (row) in a draw of its task.
        var conditions = vectors.Tasks.Select(t => conditioner.TrainingVectors(t, data.For(t).Train, config.Sampling.SupportPerClass, draws, conditionGenerator)).ToArray();

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
            var task = new int[batch];
            for (int b = 0; b < batch; b++)
            {
                int row = rng.Next(vectors.Count);
                latents.AsSpan(row * z, z).CopyTo(x0.AsSpan(b * z));
                conditions[vectors.TaskOf[row]].AsSpan((rng.Next(draws) * perSet + vectors.ClassOf(row)) * e, e).CopyTo(c.AsSpan(b * width));
                if (architectures > 0) ArchitectureCondition.Write(c.AsSpan(b * width + e, architectures), vectors.ArchitectureOf(row), architectures);
                task[b] = vectors.TaskOf[row];
            }
            var condition = unet.DropConditions(UNetConditionInput.Of(config.Model.UNet, c, batch,
                classIndex: taskIds ? Tensor.FromSpan<int>(task, [batch], DType.Int32, null) : null), generator);
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
        // Runs conditioned on the dataset alone hash as they did before condition kinds existed, so they still resume.
        ["config"] = PipelineConfig.Hash(config.Condition.IsDefault
            ? new object[] { EncoderStage.Metadata(config)["config"], config.Model.UNet, config.Model.Diffusion, config.Training.Diffusion, config.Training.ConditionDraws }
            : new object[] { EncoderStage.Metadata(config)["config"], config.Model.UNet, config.Model.Diffusion, config.Training.Diffusion, config.Training.ConditionDraws, config.Condition }),
    };

    public static UNet Load(PipelineConfig config, RunFolder run)
    {
        var unet = new UNet(config.Model.UNet, new Generator(0));
        Checkpoint.Load(run.Require(run.StageModel(Name), "train diffusion"), unet);
        unet.Eval();
        return unet;
    }
}

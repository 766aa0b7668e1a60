using RawDiffusion.Models;
using RawDiffusion.Nn;
using RawDiffusion.Tasks;
using RawDiffusion.Training;
using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Pipeline;

/// <summary>Stage 3: the dataset encoder, trained contrastively so that the embedding of K examples per class of a task
/// lies near the VAE latents of the zoo's weights for that task (encoder.safetensors). Each step draws distinct seen
/// tasks, a fresh support set per task and one of its checkpoints.</summary>
public static class EncoderStage
{
    public const string Name = "encoder";

    public static TrainingLoopResult Train(PipelineConfig config, RunFolder run, RunData data, ZooVectors vectors, float[] latents, StageOptions options)
    {
        var settings = config.Training.Encoder;
        var encoderConfig = config.Model.DatasetEncoder;
        using var encoderModule = DatasetEncoders.Create(encoderConfig, new Generator((ulong)settings.Seed));
        var encoder = (IDatasetEncoder)encoderModule;
        using var optimizer = new AdamW(encoderModule.Parameters(), settings.LearningRate);
        using var metrics = new MetricsCsv(run.StageMetrics(Name)) { Note = $"device: {Backends.Backend.DefaultDescription}" };
        Directory.CreateDirectory(run.Checkpoints);
        var taskRows = vectors.Tasks.Select(t => data.For(t).Train).ToArray();
        var rowsByTask = vectors.RowsByTask();
        int z = latents.Length / vectors.Count, k = config.Sampling.SupportPerClass, batch = Math.Min(settings.BatchSize, vectors.Tasks.Count);
        int classes = config.Tasks.ClassesPerTask, features = data.Train.FeatureLength;
        var result = options.Run(Name, settings.Steps, progress => TrainingLoop.Run(encoderModule, optimizer, null,
            new TrainingLoopOptions(settings.Steps, run.StageCheckpoint(Name), (ulong)settings.Seed, settings.CheckpointEvery, options.ResumeFrom(run.StageCheckpoint(Name)), Metadata(config)),
            (_, generator) =>
            {
                var rng = generator.HostRandom();
                var tasks = generator.Permutation(vectors.Tasks.Count)[..batch];
                var support = new float[batch * classes * k * features];
                var target = new float[batch * z];
                for (int b = 0; b < batch; b++)
                {
                    taskRows[tasks[b]].SupportSet(k, generator).CopyTo(support.AsSpan(b * classes * k * features));
                    var rows = rowsByTask[tasks[b]];
                    latents.AsSpan(rows[rng.Next(rows.Length)] * z, z).CopyTo(target.AsSpan(b * z));
                }
                var embeddings = encoder.Forward(Tensor.FromArray(support, batch, classes, k, features));
                var loss = ContrastiveAlignment.Loss(embeddings, Tensor.FromArray(target, batch, z), encoderConfig.Temperature);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                return new Dictionary<string, double> { ["loss"] = loss.Item() };
            }, metrics, progress, options.Cancel));
        if (!result.Interrupted) Checkpoint.Save(run.StageModel(Name), encoderModule, metadata: Metadata(config));
        return result;
    }

    internal static Dictionary<string, string> Metadata(PipelineConfig config) => new()
    {
        ["config"] = PipelineConfig.Hash(new object[] { VaeStage.Metadata(config)["config"], config.Model.DatasetEncoder, config.Training.Encoder, config.Sampling.SupportPerClass }),
    };

    public static Module Load(PipelineConfig config, RunFolder run)
    {
        var encoder = DatasetEncoders.Create(config.Model.DatasetEncoder, new Generator(0));
        Checkpoint.Load(run.Require(run.StageModel(Name), "train encoder"), encoder);
        encoder.Eval();
        return encoder;
    }

    /// <summary>Embeddings [draws, E] of <paramref name="draws"/> support sets drawn from a task's training rows.</summary>
    public static float[] Embed(IDatasetEncoder encoder, FeatureSet taskRows, int perClass, int draws, Generator generator)
    {
        using var _ = GradMode.NoGrad();
        using var scope = DisposeScope.Enter();
        var support = new float[draws * taskRows.ClassCount * perClass * taskRows.FeatureLength];
        for (int d = 0; d < draws; d++)
            taskRows.SupportSet(perClass, generator).CopyTo(support.AsSpan(d * taskRows.ClassCount * perClass * taskRows.FeatureLength));
        return encoder.Forward(Tensor.FromArray(support, draws, taskRows.ClassCount, perClass, taskRows.FeatureLength)).ToArray<float>();
    }
}

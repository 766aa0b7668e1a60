using RawDiffusion.Models.Language;
using RawDiffusion.Training;
using RawDiffusion.Training.Optimizers;
using RawDiffusion.Training.Schedules;

namespace RawDiffusion.Language;

/// <summary>Next-token training of a <see cref="LlamaForCausalLM"/> on token streams with AdamW (weight decay on the
/// matrices and embeddings, none on the norm scales), warm-up + cosine learning rate and gradient-norm clipping, run by
/// <see cref="TrainingLoop"/> (checkpoints, resume, metrics, interruption).</summary>
public static class LmTraining
{
    public static AdamW Optimizer(LlamaForCausalLM model, LmTrainingSection t)
    {
        var matrices = model.Parameters().Where(p => p.Rank >= 2).ToList();
        var scales = model.Parameters().Where(p => p.Rank < 2).ToList();
        return new AdamW([new ParameterGroup(matrices), new ParameterGroup(scales, weightDecay: 0)], t.LearningRate, 0.9, 0.95, 1e-8, t.WeightDecay);
    }

    /// <summary>Trains <paramref name="model"/> in place for <c>t.Steps</c> steps. <paramref name="afterStep"/> gets the number of
    /// completed steps after each update (to save zoo members).</summary>
    public static TrainingLoopResult Train(LlamaForCausalLM model, IReadOnlyList<int[]> streams, LmTrainingSection t, string checkpointPath,
                                           bool resume, MetricsCsv? metrics, IProgress<TrainingProgress>? progress, CancellationToken cancel,
                                           IReadOnlyDictionary<string, string>? metadata = null, Action<long>? afterStep = null)
    {
        using var optimizer = Optimizer(model, t);
        var schedule = new WarmupCosineSchedule(t.LearningRate, t.WarmupSteps, t.Steps, t.MinLearningRate);
        int context = model.Config.MaxPositionEmbeddings;
        model.Train();
        var options = new TrainingLoopOptions(t.Steps, checkpointPath, t.Seed, t.CheckpointEvery, resume, metadata);
        return TrainingLoop.Run(model, optimizer, null, options, (step, generator) =>
        {
            double lr = schedule.Apply(optimizer);
            var batch = LmBatches.Sample(streams, t.BatchSize, context, generator);
            model.ZeroGrad();
            var loss = model.NextTokenLoss(batch);
            loss.Backward();
            double norm = GradientClipping.ClipGradNorm(model.Parameters(), t.GradClip);
            optimizer.Step();
            double value = loss.Item();
            afterStep?.Invoke(step + 1);
            return new Dictionary<string, double> { ["loss"] = value, ["bits_per_token"] = value / Math.Log(2), ["grad_norm"] = norm, ["lr"] = lr };
        }, metrics, progress, cancel);
    }
}

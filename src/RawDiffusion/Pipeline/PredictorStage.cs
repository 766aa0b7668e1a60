using RawDiffusion.Models;
using RawDiffusion.Training;
using RawDiffusion.Training.Optimizers;
using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>
/// Stage 1b (when `model.predictor` is set): the accuracy predictor g(w) of D2NWG, trained on the zoo to map each
/// checkpoint's weights to its accuracy on its own task's *training* rows (test rows are never used, so ranking
/// generated samples by it is selection without test labels). It sees whole networks as model-wise vectors
/// standardised per parameter over the zoo (<see cref="PredictorSpace"/>); in a model-wise run with per-parameter
/// normalisation that is exactly the VAE's space, which Eq. 9 needs.
/// </summary>
public static class PredictorStage
{
    public const string Name = "predictor";

    public static TrainingLoopResult Train(RunContext context, StageOptions options)
    {
        var (config, run, vectors) = (context.Config, context.Run, context.Vectors);
        var settings = config.Training.Predictor;
        var space = PredictorSpace.Of(config, vectors);
        var inputs = space.Vectors(vectors.Models);
        var architecture = vectors.Manifest.Architecture;
        var trainRows = vectors.Tasks.Select(t => context.Data.InputsFor(t, architecture).Train).ToArray();
        var targets = vectors.Models.Select((m, i) => (float)Evaluation.Accuracy(architecture, m, trainRows[vectors.ModelTask[i]])).ToArray();
        context.Log?.Invoke($"predictor targets: training-row accuracy of {targets.Length} zoo models, {100 * targets.Min():F1}-{100 * targets.Max():F1}% (mean {100 * targets.Average():F1}%)");

        using var predictor = new AccuracyPredictor(space.Length, config.Model.Predictor!.Hidden, new Generator((ulong)settings.Seed));
        using var optimizer = new AdamW(predictor.Parameters(), settings.LearningRate);
        int length = space.Length, batch = settings.BatchSize;
        var result = StageTrainer.Train(context, Name, settings, Metadata(config), predictor, optimizer, null, options, generator =>
        {
            var rng = generator.HostRandom();
            var x = new float[batch * length];
            var y = new float[batch];
            for (int b = 0; b < batch; b++)
            {
                int m = rng.Next(targets.Length);
                inputs.AsSpan(m * length, length).CopyTo(x.AsSpan(b * length));
                y[b] = targets[m];
            }
            return new Dictionary<string, Tensor> { ["loss"] = predictor.Loss(Tensor.FromArray(x, batch, length), Tensor.FromArray(y, batch)) };
        });
        if (result.Interrupted) return result;
        Checkpoint.Save(run.StageModel(Name), predictor, metadata: Metadata(config));
        return result;
    }

    internal static Dictionary<string, string> Metadata(PipelineConfig config) => new()
    {
        ["config"] = PipelineConfig.Hash(new object[] { config.Backbone, config.Tasks, config.Zoo, config.Vectors, config.Model.Vae.VectorLength, config.Model.Predictor!, config.Training.Predictor }),
    };

    /// <summary>The run's trained predictor, in eval mode.</summary>
    public static AccuracyPredictor Load(PipelineConfig config, RunFolder run, PredictorSpace space)
    {
        var predictor = new AccuracyPredictor(space.Length, config.Model.Predictor!.Hidden, new Generator(0));
        Checkpoint.Load(run.Require(run.StageModel(Name), "train predictor"), predictor);
        predictor.Eval();
        return predictor;
    }

    /// <summary>Predicted accuracy (0..1) of each network.</summary>
    public static double[] Predict(AccuracyPredictor predictor, PredictorSpace space, IReadOnlyList<IReadOnlyDictionary<string, float[]>> models)
    {
        using var _ = GradMode.NoGrad();
        using var scope = DisposeScope.Enter();
        return predictor.Forward(Tensor.FromArray(space.Vectors(models), models.Count, space.Length)).ToArray<float>().Select(p => (double)p).ToArray();
    }
}

/// <summary>What the accuracy predictor sees: a network flattened model-wise and standardised per parameter over the
/// zoo. A model-wise run with per-parameter normalisation reuses its own layout and statistics (the VAE's space);
/// otherwise (class rows, per-layer normalisation) they are fitted on the zoo's checkpoints, the same every time.</summary>
public sealed record PredictorSpace(WeightVectorizer Layout, NormalizationStats Stats)
{
    public int Length => Layout.VectorLength;

    /// <summary>True when the predictor's space is the VAE's (what Eq. 9 requires).</summary>
    public static bool IsVaeSpace(PipelineConfig config) =>
        config.Vectors.Layout == ClassRows.ModelWiseLayout && config.Vectors.Normalization == "per-parameter";

    public static PredictorSpace Of(PipelineConfig config, ZooVectors zoo)
    {
        if (IsVaeSpace(config)) return new PredictorSpace(zoo.Layout, zoo.Stats);
        var layout = WeightVectorizer.ModelWise(zoo.Manifest.Architecture.Tensors);
        return new PredictorSpace(layout, NormalizationStats.Fit(layout, layout.FlattenMany(zoo.Models), NormalizationMode.PerParameter));
    }

    /// <summary>Standardised vectors [models, Length].</summary>
    public float[] Vectors(IReadOnlyList<IReadOnlyDictionary<string, float[]>> models)
    {
        var flat = Layout.FlattenMany(models);
        Stats.Normalize(flat);
        return flat;
    }
}

using RawDiffusion.Backends;
using RawDiffusion.Data;
using RawDiffusion.Nn;
using RawDiffusion.Tasks;
using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Training;

public sealed record ClassifierTrainingOptions
{
    public int Epochs { get; init; } = 5;
    public int BatchSize { get; init; } = 128;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; }
    public ulong Seed { get; init; } = 1;
}

public sealed record EpochResult(int Epoch, double TrainLoss, double? TestAccuracy, TimeSpan Elapsed);

/// <summary>Trains an image classifier with AdamW and cross-entropy on labelled images, and measures accuracy.</summary>
public static class ClassifierTraining
{
    public static IReadOnlyList<EpochResult> Train(Layer model, LabeledImages train, LabeledImages? test, ClassifierTrainingOptions options,
                                                   Action<EpochResult>? onEpoch = null, IBackend? backend = null) =>
        Train(model, FeatureSet.FromImages(train), test == null ? null : FeatureSet.FromImages(test), options, onEpoch, backend);

    /// <summary>Trains on rows of pixels or features, shaped per example as the set's SampleShape.</summary>
    public static IReadOnlyList<EpochResult> Train(Layer model, FeatureSet train, FeatureSet? test, ClassifierTrainingOptions options,
                                                   Action<EpochResult>? onEpoch = null, IBackend? backend = null)
    {
        if (train.Count == 0) throw new ArgumentException("the training set is empty", nameof(train));
        using var optimizer = new AdamW(model.Parameters(), options.LearningRate, weightDecay: options.WeightDecay);
        var results = new List<EpochResult>();
        var order = Enumerable.Range(0, train.Count).ToArray();
        var rng = new System.Random((int)(options.Seed % int.MaxValue));
        var start = DateTime.UtcNow;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            model.Train();
            rng.Shuffle(order);
            double lossSum = 0;
            int batches = 0;
            for (int s = 0; s < order.Length; s += options.BatchSize)
            {
                int n = Math.Min(options.BatchSize, order.Length - s);
                using var scope = DisposeScope.Enter();
                var (x, y) = train.Batch(order.AsSpan(s, n), backend);
                var loss = F.CrossEntropy(model.Forward(x), y);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                lossSum += loss.Item();
                batches++;
            }
            var result = new EpochResult(epoch, lossSum / batches, test == null ? null : Accuracy(model, test, backend: backend), DateTime.UtcNow - start);
            results.Add(result);
            onEpoch?.Invoke(result);
        }
        return results;
    }

    /// <summary>Share of images whose highest logit is their label.</summary>
    public static double Accuracy(Layer model, LabeledImages data, int batchSize = 500, IBackend? backend = null) =>
        Accuracy(model, FeatureSet.FromImages(data), batchSize, backend);

    /// <summary>Share of rows whose highest logit is their label.</summary>
    public static double Accuracy(Layer model, FeatureSet data, int batchSize = 500, IBackend? backend = null)
    {
        model.Eval();
        using var _ = GradMode.NoGrad();
        int correct = 0;
        var indices = Enumerable.Range(0, data.Count).ToArray();
        for (int s = 0; s < data.Count; s += batchSize)
        {
            int n = Math.Min(batchSize, data.Count - s);
            using var scope = DisposeScope.Enter();
            var (x, y) = data.Batch(indices.AsSpan(s, n), backend);
            var predicted = model.Forward(x).ArgMax(1).ToArray<int>();
            var labels = y.ToArray<int>();
            for (int i = 0; i < n; i++) if (predicted[i] == labels[i]) correct++;
        }
        return data.Count == 0 ? 0 : (double)correct / data.Count;
    }
}

using RawDiffusion.Data;
using RawDiffusion.Tasks;
using RawDiffusion.Zoo;

namespace RawDiffusion.Tests.Zoo;

/// <summary>A tiny zoo on real Fashion-MNIST pixels: a 784->3 linear network, 2 tasks x 2 seeds x 2 epochs.</summary>
public static class ZooTestData
{
    static readonly Lazy<(FeatureSet Train, FeatureSet Test)> Sets = new(() =>
    {
        var train = FeatureSet.FromImages(Datasets.FashionMnist(Split.Train), "fashion-mnist train");
        var test = FeatureSet.FromImages(Datasets.FashionMnist(Split.Test), "fashion-mnist test");
        return (train.Select(Enumerable.Range(0, 1200).ToArray()), test.Select(Enumerable.Range(0, 400).ToArray()));
    });

    public static FeatureSet Train => Sets.Value.Train;
    public static FeatureSet Test => Sets.Value.Test;

    public static TargetArchitecture Architecture { get; } =
        new() { Name = "tiny-mlp", Kind = TargetArchitecture.MlpKind, Inputs = 784, Hidden = [], Classes = 3 };

    public static TaskSpec[] Tasks { get; } =
    [
        TaskSpec.Create("fashion-mnist", [0, 1, 2], Datasets.FashionMnistClassNames),
        TaskSpec.Create("fashion-mnist", [5, 3, 7], Datasets.FashionMnistClassNames),
    ];

    public static ZooBuildOptions Options { get; } = new()
    {
        Architecture = Architecture,
        Tasks = Tasks,
        Seeds = ZooBuildOptions.FirstSeeds(2),
        Epochs = 2,
        KeepLastEpochs = 2,
        BatchSize = 64,
        LearningRate = 2e-3,
        Features = ZooFeatures.Pixels(28, 28),
        Data = new ZooData { Domain = "fashion-mnist", Train = "first 1200 training images", Test = "first 400 test images" },
    };

    public static ZooManifest Build(string folder, ShardSpec? shard = null, IProgress<ZooBuildProgress>? progress = null, CancellationToken cancel = default) =>
        ZooBuilder.Build(Options, Train, Test, folder, shard ?? ShardSpec.Whole, progress, cancel);

    /// <summary>A valid one-checkpoint zoo written without training (zero weights), for the validation tests.</summary>
    public static string WriteSmallZoo(string folder)
    {
        var entry = new ZooCheckpointEntry
        {
            File = ZooCheckpointEntry.PathFor(Tasks[0].Id, 0, 1), Task = Tasks[0].Id, Seed = 0, Epoch = 1, TrainAccuracy = 0.5, TestAccuracy = 0.25,
        };
        var tensors = Architecture.Tensors.ToDictionary(t => t.Name, t => new float[t.Numel]);
        ZooCheckpoint.Write(Path.Combine(folder, entry.File), Architecture, tensors, entry);
        new ZooManifest
        {
            Architecture = Architecture, Features = Options.Features, Data = Options.Data, Training = Options.Training,
            Tasks = [ZooTask.From(Tasks[0])], Checkpoints = [entry],
        }.Save(folder);
        return Path.Combine(folder, ZooManifest.FileName);
    }
}

/// <summary>Records progress synchronously (Progress&lt;T&gt; would post it to the thread pool).</summary>
public sealed class ProgressLog(Action<ZooBuildProgress>? onReport = null) : IProgress<ZooBuildProgress>
{
    public List<ZooBuildProgress> Reports { get; } = [];

    public void Report(ZooBuildProgress value)
    {
        Reports.Add(value);
        onReport?.Invoke(value);
    }
}

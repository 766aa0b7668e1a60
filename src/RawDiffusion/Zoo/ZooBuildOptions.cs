using RawDiffusion.Tasks;

namespace RawDiffusion.Zoo;

/// <summary>What a zoo build trains: one network of <see cref="Architecture"/> per (task, seed), keeping the last epochs' checkpoints.</summary>
public sealed record ZooBuildOptions
{
    /// <summary>The network every job trains; its classes must equal every task's class count.</summary>
    public required TargetArchitecture Architecture { get; init; }
    public required IReadOnlyList<TaskSpec> Tasks { get; init; }
    /// <summary>Training seeds, one job per task and seed (<see cref="FirstSeeds"/> gives 0..n-1).</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [0];
    public int Epochs { get; init; } = 10;
    /// <summary>Checkpoints of the last this many epochs are kept, as the D2NWG paper collects several per run.</summary>
    public int KeepLastEpochs { get; init; } = 1;
    public int BatchSize { get; init; } = 128;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; }
    /// <summary>Initialise every task's network of a seed identically (<see cref="ZooTraining.SharedInitialization"/>).</summary>
    public bool SharedInitialization { get; init; }
    public required ZooFeatures Features { get; init; }
    public required ZooData Data { get; init; }

    /// <summary>Seeds 0..count-1, for "train every task with n seeds".</summary>
    public static int[] FirstSeeds(int count) =>
        count >= 1 ? Enumerable.Range(0, count).ToArray() : throw new ArgumentOutOfRangeException(nameof(count), $"a zoo needs at least 1 seed (got {count})");

    public ZooTraining Training => new()
    {
        Seeds = Seeds.ToArray(), Epochs = Epochs, KeepLastEpochs = KeepLastEpochs,
        BatchSize = BatchSize, LearningRate = LearningRate, WeightDecay = WeightDecay, SharedInitialization = SharedInitialization,
    };
}

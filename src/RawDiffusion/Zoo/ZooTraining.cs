using System.Text.Json.Serialization;

namespace RawDiffusion.Zoo;

/// <summary>How a built zoo's networks were trained, recorded so a resumed or sharded build can check it continues the same zoo.</summary>
public sealed record ZooTraining
{
    public int[] Seeds { get; init; } = [];
    public int Epochs { get; init; }
    /// <summary>Checkpoints of the last this many epochs are kept (the D2NWG paper keeps several per run).</summary>
    public int KeepLastEpochs { get; init; }
    public int BatchSize { get; init; }
    public double LearningRate { get; init; }
    public double WeightDecay { get; init; }
    /// <summary>Every task's network of a seed starts from the same initial weights (drawn from the seed alone), so the
    /// hidden units of different tasks start aligned; otherwise each (task, seed) draws its own.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool SharedInitialization { get; init; }

    public void Validate(string source)
    {
        string Where(string field) => $"{source}: field \"training.{field}\"";
        if (Seeds == null || Seeds.Length == 0) throw new FormatException($"{Where("seeds")} must list at least one seed");
        if (Seeds.Distinct().Count() != Seeds.Length) throw new FormatException($"{Where("seeds")} [{string.Join(", ", Seeds)}] repeats a seed");
        if (Epochs < 1) throw new FormatException($"{Where("epochs")} must be at least 1 (got {Epochs})");
        if (KeepLastEpochs < 1 || KeepLastEpochs > Epochs) throw new FormatException($"{Where("keepLastEpochs")} must lie in 1..epochs = 1..{Epochs} (got {KeepLastEpochs})");
        if (BatchSize < 1) throw new FormatException($"{Where("batchSize")} must be at least 1 (got {BatchSize})");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new FormatException($"{Where("learningRate")} must be positive (got {LearningRate})");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay)) throw new FormatException($"{Where("weightDecay")} must be non-negative (got {WeightDecay})");
    }

    /// <summary>The epochs whose checkpoints are kept: the last <see cref="KeepLastEpochs"/>.</summary>
    public IEnumerable<int> KeptEpochs() => Enumerable.Range(Epochs - KeepLastEpochs + 1, KeepLastEpochs);
}

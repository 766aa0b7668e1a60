using System.Globalization;

namespace RawDiffusion.Zoo;

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/> (1-based, written "i/n"): a zoo build split over n processes or
/// machines, shard i taking jobs j with j % n == i - 1.
/// </summary>
public sealed record ShardSpec
{
    public ShardSpec(int index, int count)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), $"a build has at least 1 shard (got {count})");
        if (index < 1 || index > count) throw new ArgumentOutOfRangeException(nameof(index), $"shard {index} is not one of 1..{count}");
        Index = index;
        Count = count;
    }

    public int Index { get; }
    public int Count { get; }

    /// <summary>The whole build in one shard.</summary>
    public static ShardSpec Whole { get; } = new(1, 1);

    public bool Takes(int job) => job % Count == Index - 1;

    /// <summary>The partial manifest a shard of a split build writes, relative to the zoo folder.</summary>
    public string ManifestPath => $"shards/shard-{Index}-of-{Count}.json";

    /// <summary>Parses "i/n" (e.g. "2/4"); errors say what is wrong with the text.</summary>
    public static ShardSpec Parse(string text)
    {
        var parts = (text ?? "").Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            || !int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int count))
            throw new FormatException($"shard \"{text}\" must be written i/n with whole numbers, e.g. 2/4 for the second of four shards");
        if (count < 1) throw new FormatException($"shard \"{text}\": the number of shards must be at least 1");
        if (index < 1 || index > count) throw new FormatException($"shard \"{text}\": the shard number must lie in 1..{count} (shards count from 1)");
        return new ShardSpec(index, count);
    }

    public override string ToString() => $"{Index}/{Count}";
}

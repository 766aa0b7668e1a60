namespace RawDiffusion.Pipeline;

/// <summary>
/// The architecture condition of a mixed-architecture zoo (condition.kind "architecture"): a one-hot index of the target
/// architecture appended to each UNet vector condition, after the dataset condition. Training and sampling both write it
/// through here, so they agree on where it goes.
/// </summary>
public static class ArchitectureCondition
{
    /// <summary>Writes the one-hot code of <paramref name="architecture"/> (0-based, of <paramref name="count"/>) into <paramref name="destination"/>.</summary>
    public static void Write(Span<float> destination, int architecture, int count)
    {
        if (destination.Length != count) throw new ArgumentException($"the architecture condition has {count} values, the destination {destination.Length}", nameof(destination));
        ArgumentOutOfRangeException.ThrowIfNegative(architecture);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(architecture, count);
        destination.Clear();
        destination[architecture] = 1;
    }

    /// <summary>Condition vectors [n, e] followed by the architecture's one-hot code: [n, e + count]; with count 0, the vectors unchanged.</summary>
    public static float[] Append(float[] conditions, int n, int architecture, int count)
    {
        if (count == 0) return conditions;
        int e = conditions.Length / n, width = e + count;
        var result = new float[n * width];
        for (int i = 0; i < n; i++)
        {
            conditions.AsSpan(i * e, e).CopyTo(result.AsSpan(i * width));
            Write(result.AsSpan(i * width + e, count), architecture, count);
        }
        return result;
    }
}

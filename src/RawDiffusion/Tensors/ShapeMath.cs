namespace RawDiffusion;

/// <summary>Shape arithmetic shared by tensors and backends: element counts, strides, broadcasting.</summary>
public static class ShapeMath
{
    public static long Numel(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return n;
    }

    public static long[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= shape[i];
        }
        return strides;
    }

    public static bool IsContiguous(ReadOnlySpan<int> shape, ReadOnlySpan<long> strides)
    {
        long expected = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] != 1 && strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /// <summary>NumPy broadcasting: shapes aligned on the right, size-1 dimensions stretch.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"shapes {Format(a)} and {Format(b)} cannot be broadcast together (dimension {i}: {da} vs {db})");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>Strides that read a tensor of <paramref name="shape"/> as if it had <paramref name="target"/>:
    /// stretched dimensions get stride 0.</summary>
    public static long[] BroadcastStrides(ReadOnlySpan<int> shape, ReadOnlySpan<long> strides, ReadOnlySpan<int> target)
    {
        var result = new long[target.Length];
        int lead = target.Length - shape.Length;
        if (lead < 0) throw new ArgumentException($"cannot broadcast {Format(shape)} to {Format(target)}");
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == target[lead + i]) result[lead + i] = strides[i];
            else if (shape[i] == 1) result[lead + i] = 0;
            else throw new ArgumentException($"cannot broadcast {Format(shape)} to {Format(target)}");
        }
        return result;
    }

    public static int NormalizeAxis(int axis, int rank, string argument = "axis")
    {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new ArgumentOutOfRangeException(argument, axis, $"axis {axis} is out of range for a tensor of rank {rank}");
        return a;
    }

    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    public static bool SameShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);
}

namespace RawDiffusion.Backends.Cpu;

/// <summary>Splits independent items (planes, rows, column tiles) across threads when the work is large enough
/// to pay for the fork/join, in a few contiguous ranges so per-item delegate calls stay cheap.</summary>
internal static class CpuParallel
{
    /// <summary>Calls <paramref name="body"/>(start, end) over ranges covering [0, <paramref name="count"/>);
    /// <paramref name="totalWork"/> (elements touched) decides whether to use more than one thread.</summary>
    public static void ForRanges(int count, long totalWork, Action<int, int> body)
    {
        if (count <= 0) return;
        int ranges = Math.Min(count, Environment.ProcessorCount * 4);
        if (totalWork < CpuBackend.ParallelThreshold || ranges == 1)
        {
            body(0, count);
            return;
        }
        Parallel.For(0, ranges, r => body((int)((long)count * r / ranges), (int)((long)count * (r + 1) / ranges)));
    }
}

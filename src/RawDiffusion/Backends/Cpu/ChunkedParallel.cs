namespace RawDiffusion.Backends.Cpu;

/// <summary>Splits independent items (rows, planes, statistic groups) into contiguous chunks across the thread pool,
/// or runs them inline when the work is too small to pay for the fork/join.</summary>
internal static class ChunkedParallel
{
    /// <summary>Calls <paramref name="body"/>(start, end) for chunks covering [0, <paramref name="count"/>);
    /// <paramref name="work"/> is the total element count, compared with <see cref="CpuBackend.ParallelThreshold"/>.</summary>
    public static void For(int count, long work, Action<int, int> body)
    {
        if (count <= 0) return;
        if (count == 1 || work < CpuBackend.ParallelThreshold)
        {
            body(0, count);
            return;
        }
        int chunks = Math.Min(count, Environment.ProcessorCount * 4);
        Parallel.For(0, chunks, c => body((int)((long)count * c / chunks), (int)((long)count * (c + 1) / chunks)));
    }
}

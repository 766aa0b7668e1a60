namespace RawDiffusion.Backends.Cpu;

/// <summary>Decides how many threads a GEMM is worth.</summary>
internal static class GemmThreading
{
    /// <summary>
    /// Work a thread must receive before splitting pays. Handing work to pool threads and waiting for them costs
    /// 10-20 microseconds per rank-kc step (measured on a 2-core Zen 5), and 8 MFLOP is about 45 microseconds on one
    /// core, so a product of 128^3 runs faster on the calling thread and one of 256^3 clearly faster on two.
    /// </summary>
    public const double MinimumFlopsPerThread = 8e6;

    public static int MaxThreads => Environment.ProcessorCount;

    public static int ThreadsFor(double flops, int maxThreads) =>
        (int)Math.Clamp(Math.Floor(flops / MinimumFlopsPerThread), 1, Math.Max(1, maxThreads));
}

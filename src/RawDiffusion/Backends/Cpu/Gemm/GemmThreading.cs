namespace RawDiffusion.Backends.Cpu;

/// <summary>Decides how many threads a GEMM is worth.</summary>
internal static class GemmThreading
{
    /// <summary>
    /// Work a thread must receive before splitting pays. Handing a rectangle to a pool thread and waiting for it
    /// costs 3-6 microseconds, and each thread repacks the operand it shares with the other. Measured on a 2-core
    /// Zen 5: 96^3 (1.8 MFLOP, 9 microseconds) is faster on one thread, 112^3 (2.8 MFLOP) already faster on two.
    /// </summary>
    public const double MinimumFlopsPerThread = 1.5e6;

    public static int MaxThreads => Environment.ProcessorCount;

    public static int ThreadsFor(double flops, int maxThreads) =>
        (int)Math.Clamp(Math.Floor(flops / MinimumFlopsPerThread), 1, Math.Max(1, maxThreads));
}

namespace RawDiffusion.Backends.Cpu;

/// <summary>Decides how many threads a GEMM is worth.</summary>
internal static class GemmThreading
{
    /// <summary>
    /// Work a thread must receive before splitting pays: about 4 MFLOP is 20-40 microseconds of kernel time
    /// on one core, comfortably above the few microseconds it costs to wake a pool thread and to pack the
    /// operands a second time. Below this (up to about 128 x 128 x 128) a GEMM runs on the calling thread.
    /// </summary>
    public const double MinimumFlopsPerThread = 4e6;

    public static int MaxThreads => Environment.ProcessorCount;

    public static int ThreadsFor(double flops, int maxThreads) =>
        (int)Math.Clamp(Math.Floor(flops / MinimumFlopsPerThread), 1, Math.Max(1, maxThreads));
}

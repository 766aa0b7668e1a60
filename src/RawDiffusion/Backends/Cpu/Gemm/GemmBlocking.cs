namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// Cache blocking of the GotoBLAS/BLIS loop nest used by <see cref="GemmDriver{T, TKernel}"/>:
/// <paramref name="Kc"/> is the depth of one rank-kc update, <paramref name="Mc"/> the rows of op(A) packed at once,
/// <paramref name="Nc"/> the columns of op(B) packed at once. Mc is a multiple of MR and Nc of NR.
/// </summary>
/// <remarks>
/// Measured on Zen 5 (48 KiB L1, 1 MiB L2): single-thread speed at n = 1024 and 2048 stays within a few percent for
/// Kc from 128 to 512 and Nc from 96 to 1024, so the values below are derived from cache sizes rather than tuned
/// to one machine.
/// </remarks>
internal readonly record struct GemmBlocking(int Kc, int Mc, int Nc)
{
    // Sizes every x64 core since Haswell / Zen 1 has at least; bigger caches only add headroom.
    private const int L1Bytes = 32 * 1024;
    private const int L2Bytes = 512 * 1024;
    private const int L3BytesPerCore = 2 * 1024 * 1024;

    /// <summary>The blocking derived from the cache sizes above and the kernel's tile shape.</summary>
    public static GemmBlocking For<T, TKernel>()
        where T : unmanaged
        where TKernel : struct, IGemmMicroKernel<T>
    {
        int element = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

        // One A micro-panel (MR x Kc) is reused against every B micro-panel of the L2 block, so it must stay
        // in L1 while B micro-panels stream past it: give it half of L1, rounded down to a multiple of 16.
        int kc = RoundDown(L1Bytes / 2 / (TKernel.Rows * element), 16);

        // The packed B block (Kc x Nc) is re-read by every A micro-panel of the A block, so it lives in L2;
        // half of L2 leaves room for the A panel, the C tiles and the hardware prefetcher's streams.
        int nc = RoundDown(L2Bytes / 2 / (kc * element), TKernel.Columns);

        // The packed A block (Mc x Kc) is re-read for every L2 block of B and is too large for L2, so it
        // is sized for this core's share of L3.
        int mc = RoundDown(L3BytesPerCore / 2 / (kc * element), TKernel.Rows);

        return new GemmBlocking(kc, mc, nc);
    }

    private static int RoundDown(int value, int multiple) => Math.Max(multiple, value / multiple * multiple);
}

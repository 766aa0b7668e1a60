namespace RawDiffusion.Cuda.Kernels;

internal readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1)
{
    public ulong Total => (ulong)X * Y * Z;
}

/// <summary>Grid and block dimensions and dynamic shared memory of one launch.</summary>
internal readonly record struct LaunchConfig(Dim3 Grid, Dim3 Block, uint SharedMemoryBytes = 0)
{
    /// <summary>Threads per block of the one-dimensional kernels: a multiple of the warp size that keeps 8 blocks
    /// resident per SM on every architecture since Volta.</summary>
    public const int LinearBlock = 256;

    /// <summary>Blocks per SM a grid-stride kernel is given: enough waves to hide a straggling block, few enough
    /// that each thread loops over several elements (and the index arithmetic is amortised).</summary>
    public const int BlocksPerMultiprocessor = 32;

    /// <summary>A one-dimensional launch for a grid-stride kernel over <paramref name="workItems"/> (> 0) items.</summary>
    public static LaunchConfig Linear(long workItems, int multiprocessors, int block = LinearBlock)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(workItems);
        long blocks = Math.Min((workItems + block - 1) / block, (long)Math.Max(1, multiprocessors) * BlocksPerMultiprocessor);
        return new LaunchConfig(new Dim3((uint)blocks), new Dim3((uint)block));
    }
}

using RawDiffusion.Cuda.Kernels;
using System.Numerics;

namespace RawDiffusion.Cuda;

/// <summary>Launch shape of the row-tiled kernels (kernels/rows.cuh): blockDim.x threads to a row, a power of two
/// chosen from the row length, blockDim.y rows per block, blocks striding over the rows.</summary>
public sealed partial class CudaBackend
{
    /// <summary>Threads per block for rows up to this wide; wider rows get a whole block of up to 1024 threads each.</summary>
    const int TileThreads = 256;
    /// <summary>Elements each thread of a row should get before the row is spread over more threads.</summary>
    const int TileElementsPerThread = 4;
    const int MaxRowWidth = 1024;

    /// <summary>Threads per row for rows of <paramref name="length"/> elements: 1 to 1024, a power of two.</summary>
    internal static int RowWidth(long length) =>
        (int)Math.Min(MaxRowWidth, BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1, (length + TileElementsPerThread - 1) / TileElementsPerThread)));

    /// <summary>A row-tiled launch over <paramref name="rows"/> (&gt; 0) rows of <paramref name="length"/> elements. Every
    /// block is a whole number of warps (width · rows per block is 256 or the width), which the kernels' full-mask
    /// shuffles rely on.</summary>
    LaunchConfig RowTiles(long rows, long length)
    {
        int width = RowWidth(length);
        int rowsPerBlock = Math.Max(1, TileThreads / width);
        long blocks = Math.Min((rows + rowsPerBlock - 1) / rowsPerBlock, (long)context.MultiprocessorCount * LaunchConfig.BlocksPerMultiprocessor);
        return new LaunchConfig(new Dim3((uint)blocks), new Dim3((uint)width, (uint)rowsPerBlock));
    }
}

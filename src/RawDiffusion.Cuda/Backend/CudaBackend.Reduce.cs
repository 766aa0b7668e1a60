using RawDiffusion.Backends;
using RawDiffusion.Cuda.Kernels;
using System.Numerics;

namespace RawDiffusion.Cuda;

/// <summary>Sum, max and min over the middle axis of a contiguous [outer, n, inner] block (kernels/reduce.cu).</summary>
public sealed partial class CudaBackend
{
    public void Reduce(ReduceOp op, DeviceBuffer x, long xOffset, DeviceBuffer destination, long destinationOffset, int outer, int n, int inner)
    {
        var dtype = FloatingDType(x, op.ToString());
        long outputs = (long)outer * inner;
        Reduce(op, dtype, At(x, xOffset, outputs * n, dtype), At(destination, destinationOffset, outputs, dtype), outer, n, inner);
    }

    /// <summary>Threads per block of the row kernel; rows narrower than this share a block.</summary>
    const int RowBlockThreads = 256;
    /// <summary>Elements each thread of the row kernel should get before the row is split across more threads.</summary>
    const int RowElementsPerThread = 8;
    /// <summary>The column kernel's fixed block (COLUMN_BLOCK_X, COLUMN_BLOCK_Y in reduce.cu).</summary>
    static readonly Dim3 ColumnBlock = new(32, 8);
    /// <summary>Blocks per SM below which the reduced axis is split into segments reduced in parallel.</summary>
    const int BusyBlocksPerMultiprocessor = 2;
    /// <summary>Fewest elements a segment is given: below this, splitting costs more than it saves.</summary>
    const int MinSegmentLength = 2048;
    const int MaxSegments = 1024;

    public void Reduce(ReduceOp op, DType dtype, nint x, nint y, int outer, int n, int inner)
    {
        RequireFloating(dtype, op.ToString());
        ArgumentOutOfRangeException.ThrowIfNegative(outer);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(inner);
        if ((long)outer * inner == 0) return;
        if (n == 0)
        {
            if (op != ReduceOp.Sum) throw new ArgumentException($"{op} of an empty axis has no value", nameof(n));
            Fill(dtype, y, [outer * inner], [1], 0);
            return;
        }
        int segments = Segments(outer, n, inner);
        if (segments == 1)
        {
            LaunchReduce(op, dtype, x, y, outer, n, inner, 1);
            return;
        }
        // Two passes: [outer, n, inner] to partials [outer, segments, inner], then those to [outer, inner].
        var partials = allocator.Allocate((long)outer * segments * inner * dtype.SizeOf());
        try
        {
            LaunchReduce(op, dtype, x, partials.Pointer, outer, n, inner, segments);
            LaunchReduce(op, dtype, partials.Pointer, y, outer, segments, inner, 1);
        }
        finally
        {
            // Safe before the kernels ran: the block is only reused by work queued later on the same stream.
            allocator.Free(partials);
        }
    }

    /// <summary>How many pieces to cut n into so the GPU has enough blocks: 1 unless outer·inner alone gives fewer
    /// than two blocks per SM and n is long enough to share.</summary>
    int Segments(int outer, int n, int inner)
    {
        long blocks = inner == 1
            ? (outer + RowsPerBlock(n) - 1) / RowsPerBlock(n)
            : (long)outer * ((inner + ColumnBlock.X - 1) / ColumnBlock.X);
        long wanted = (long)context.MultiprocessorCount * BusyBlocksPerMultiprocessor;
        if (blocks >= wanted || n < 2 * MinSegmentLength) return 1;
        long segments = Math.Min((wanted + blocks - 1) / blocks, n / MinSegmentLength);
        return (int)Math.Clamp(segments, 1, MaxSegments);
    }

    static int ThreadsPerRow(int length) =>
        (int)Math.Min(RowBlockThreads, BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, (length + RowElementsPerThread - 1) / RowElementsPerThread)));

    static int RowsPerBlock(int length) => RowBlockThreads / ThreadsPerRow(length);

    void LaunchReduce(ReduceOp op, DType dtype, nint x, nint y, int outer, int n, int inner, int segments)
    {
        var arguments = new KernelArguments();
        arguments.Add((int)op);
        arguments.Add(x);
        arguments.Add(y);
        arguments.Add(outer);
        arguments.Add(n);
        if (inner > 1) arguments.Add(inner);
        arguments.Add(segments);
        long maxBlocks = (long)context.MultiprocessorCount * LaunchConfig.BlocksPerMultiprocessor;
        if (inner == 1)
        {
            int segmentLength = (n + segments - 1) / segments;
            int width = ThreadsPerRow(segmentLength), rows = RowBlockThreads / width;
            long rowBlocks = Math.Min((outer + rows - 1) / rows, maxBlocks);
            var config = new LaunchConfig(new Dim3((uint)rowBlocks, (uint)segments), new Dim3((uint)width, (uint)rows));
            launcher.Launch(Typed("reduce_rows", dtype), config, ref arguments);
        }
        else
        {
            long tiles = Math.Min((inner + ColumnBlock.X - 1) / ColumnBlock.X, maxBlocks);
            long outerBlocks = Math.Min(outer, context.MaxGridDimY);
            var config = new LaunchConfig(new Dim3((uint)tiles, (uint)outerBlocks, (uint)segments), ColumnBlock);
            launcher.Launch(Typed("reduce_columns", dtype), config, ref arguments);
        }
    }
}

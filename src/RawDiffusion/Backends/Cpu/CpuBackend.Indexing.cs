using System.Numerics;
using System.Runtime.CompilerServices;

namespace RawDiffusion.Backends.Cpu;

internal sealed partial class CpuBackend
{
    public long FindIndexOutOfRange(DeviceBuffer indices, long offset, long count, int limit)
    {
        var data = Cpu(indices).Array<int>().AsSpan((int)offset, (int)count);
        for (int i = 0; i < data.Length; i++)
            if ((uint)data[i] >= (uint)limit) return i;
        return -1;
    }

    public void IndexSelect(DeviceBuffer source, long sourceOffset, DeviceBuffer index, long indexOffset,
                            DeviceBuffer destination, long destinationOffset, int outer, int n, int k, int inner)
    {
        switch (source.DType)
        {
            case DType.Float32: IndexSelectTyped<float>(source, sourceOffset, index, indexOffset, destination, destinationOffset, outer, n, k, inner); break;
            case DType.Float64: IndexSelectTyped<double>(source, sourceOffset, index, indexOffset, destination, destinationOffset, outer, n, k, inner); break;
            default: IndexSelectTyped<int>(source, sourceOffset, index, indexOffset, destination, destinationOffset, outer, n, k, inner); break;
        }
    }

    /// <summary>One output row of <paramref name="inner"/> elements per (o, j): a block copy, rows split across threads.</summary>
    static void IndexSelectTyped<T>(DeviceBuffer source, long so, DeviceBuffer index, long io, DeviceBuffer destination, long dOff,
                                    int outer, int n, int k, int inner) where T : unmanaged
    {
        var x = Cpu(source).Array<T>();
        var idx = Cpu(index).Array<int>();
        var d = Cpu(destination).Array<T>();
        CpuParallel.ForRanges(outer * k, (long)outer * k * inner, (start, end) => IndexSelectRows(x, so, idx, io, d, dOff, n, k, inner, start, end));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void IndexSelectRows<T>(T[] x, long so, int[] idx, long io, T[] d, long dOff, int n, int k, int inner, int start, int end) where T : unmanaged
    {
        for (int row = start; row < end; row++)
        {
            int o = row / k, j = row % k;
            x.AsSpan((int)(so + ((long)o * n + idx[io + j]) * inner), inner).CopyTo(d.AsSpan((int)(dOff + (long)row * inner), inner));
        }
    }

    public void IndexAdd(DeviceBuffer source, long sourceOffset, DeviceBuffer index, long indexOffset,
                         DeviceBuffer destination, long destinationOffset, int outer, int n, int k, int inner)
    {
        switch (source.DType)
        {
            case DType.Float32: IndexAddTyped<float>(source, sourceOffset, index, indexOffset, destination, destinationOffset, outer, n, k, inner); break;
            case DType.Float64: IndexAddTyped<double>(source, sourceOffset, index, indexOffset, destination, destinationOffset, outer, n, k, inner); break;
            default: throw new ArgumentException("IndexAdd is not defined for Int32 tensors");
        }
    }

    /// <summary>Two source rows with the same index add into the same destination row, so threads split the
    /// destination (by o and by column tile), never the k source rows: no two threads write one element and the
    /// summation order is fixed, so results are deterministic.</summary>
    static void IndexAddTyped<T>(DeviceBuffer source, long so, DeviceBuffer index, long io, DeviceBuffer destination, long dOff,
                                 int outer, int n, int k, int inner) where T : unmanaged, INumberBase<T>
    {
        var src = Cpu(source).Array<T>();
        var idx = Cpu(index).Array<int>();
        var d = Cpu(destination).Array<T>();
        int tiles = ColumnTiles(outer, inner);
        CpuParallel.ForRanges(outer * tiles, (long)outer * k * inner, (start, end) => IndexAddTiles(src, so, idx, io, d, dOff, n, k, inner, tiles, start, end));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void IndexAddTiles<T>(T[] src, long so, int[] idx, long io, T[] d, long dOff, int n, int k, int inner, int tiles, int start, int end)
        where T : unmanaged, INumberBase<T>
    {
        for (int item = start; item < end; item++)
        {
            int o = item / tiles, t = item % tiles;
            int c0 = (int)((long)inner * t / tiles), len = (int)((long)inner * (t + 1) / tiles) - c0;
            for (int j = 0; j < k; j++)
                SimdRows.Add(d.AsSpan((int)(dOff + ((long)o * n + idx[io + j]) * inner + c0), len),
                               src.AsSpan((int)(so + ((long)o * k + j) * inner + c0), len));
        }
    }

    public void Gather(DeviceBuffer source, long sourceOffset, DeviceBuffer index, long indexOffset,
                       DeviceBuffer destination, long destinationOffset, int outer, int n, int k, int inner)
    {
        switch (source.DType)
        {
            case DType.Float32: GatherTyped<float>(source, sourceOffset, index, indexOffset, destination, destinationOffset, outer, n, k, inner); break;
            case DType.Float64: GatherTyped<double>(source, sourceOffset, index, indexOffset, destination, destinationOffset, outer, n, k, inner); break;
            default: GatherTyped<int>(source, sourceOffset, index, indexOffset, destination, destinationOffset, outer, n, k, inner); break;
        }
    }

    static void GatherTyped<T>(DeviceBuffer source, long so, DeviceBuffer index, long io, DeviceBuffer destination, long dOff,
                               int outer, int n, int k, int inner) where T : unmanaged
    {
        var x = Cpu(source).Array<T>();
        var idx = Cpu(index).Array<int>();
        var d = Cpu(destination).Array<T>();
        CpuParallel.ForRanges(outer * k, (long)outer * k * inner, (start, end) => GatherRows(x, so, idx, io, d, dOff, n, k, inner, start, end));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void GatherRows<T>(T[] x, long so, int[] idx, long io, T[] d, long dOff, int n, int k, int inner, int start, int end) where T : unmanaged
    {
        for (int row = start; row < end; row++)
        {
            int o = row / k;
            long rowStart = (long)row * inner, sourceBase = so + (long)o * n * inner;
            for (int i = 0; i < inner; i++)
                d[dOff + rowStart + i] = x[sourceBase + (long)idx[io + rowStart + i] * inner + i];
        }
    }

    public void ScatterAdd(DeviceBuffer source, long sourceOffset, DeviceBuffer index, long indexOffset,
                           DeviceBuffer destination, long destinationOffset, int outer, int n, int k, int inner)
    {
        switch (source.DType)
        {
            case DType.Float32: ScatterAddTyped<float>(source, sourceOffset, index, indexOffset, destination, destinationOffset, outer, n, k, inner); break;
            case DType.Float64: ScatterAddTyped<double>(source, sourceOffset, index, indexOffset, destination, destinationOffset, outer, n, k, inner); break;
            default: throw new ArgumentException("ScatterAdd is not defined for Int32 tensors");
        }
    }

    /// <summary>Source elements (o, j, i) for different j may hit the same destination (o, ·, i), so threads split
    /// (o, column tile) and walk j in order: race-free and deterministic.</summary>
    static void ScatterAddTyped<T>(DeviceBuffer source, long so, DeviceBuffer index, long io, DeviceBuffer destination, long dOff,
                                   int outer, int n, int k, int inner) where T : unmanaged, INumberBase<T>
    {
        var src = Cpu(source).Array<T>();
        var idx = Cpu(index).Array<int>();
        var d = Cpu(destination).Array<T>();
        int tiles = ColumnTiles(outer, inner);
        CpuParallel.ForRanges(outer * tiles, (long)outer * k * inner, (start, end) => ScatterAddTiles(src, so, idx, io, d, dOff, n, k, inner, tiles, start, end));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ScatterAddTiles<T>(T[] src, long so, int[] idx, long io, T[] d, long dOff, int n, int k, int inner, int tiles, int start, int end)
        where T : unmanaged, INumberBase<T>
    {
        for (int item = start; item < end; item++)
        {
            int o = item / tiles, t = item % tiles;
            int c0 = (int)((long)inner * t / tiles), c1 = (int)((long)inner * (t + 1) / tiles);
            long destinationBase = dOff + (long)o * n * inner;
            for (int j = 0; j < k; j++)
            {
                long row = ((long)o * k + j) * inner;
                for (int i = c0; i < c1; i++)
                    d[destinationBase + (long)idx[io + row + i] * inner + i] += src[so + row + i];
            }
        }
    }

    /// <summary>Column tiles per outer slice so that scatter kernels have enough independent pieces for every thread
    /// even when outer is 1 (an embedding table), while keeping each tile at least 16 elements wide.</summary>
    static int ColumnTiles(int outer, int inner)
    {
        int wanted = (Environment.ProcessorCount * 4 + outer - 1) / outer;
        return Math.Max(1, Math.Min(wanted, inner / 16));
    }
}

using System.Numerics;
using System.Runtime.CompilerServices;

namespace RawDiffusion.Backends.Cpu;

internal sealed partial class CpuBackend
{
    public void Reduce(ReduceOp op, DeviceBuffer x, long xOffset, DeviceBuffer destination, long destinationOffset, int outer, int n, int inner)
    {
        switch (x.DType)
        {
            case DType.Float32: ReduceTyped<float>(op, Cpu(x).Array<float>(), xOffset, Cpu(destination).Array<float>(), destinationOffset, outer, n, inner); break;
            case DType.Float64: ReduceTyped<double>(op, Cpu(x).Array<double>(), xOffset, Cpu(destination).Array<double>(), destinationOffset, outer, n, inner); break;
            default: throw new ArgumentException($"{op} is not defined for Int32 tensors");
        }
    }

    static void ReduceTyped<T>(ReduceOp op, T[] x, long xo, T[] d, long dOff, int outer, int n, int inner)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long work = (long)outer * n * inner;
        if (inner == 1)
        {
            // Row reductions: one contiguous row of n per output.
            void Rows(int start, int end)
            {
                for (int o = start; o < end; o++)
                    d[dOff + o] = ReduceRow(op, x.AsSpan((int)(xo + (long)o * n), n));
            }
            if (work < ParallelThreshold || outer == 1) Rows(0, outer);
            else Parallel.For(0, Environment.ProcessorCount * 4, c => Rows(outer * c / (Environment.ProcessorCount * 4), outer * (c + 1) / (Environment.ProcessorCount * 4)));
            return;
        }
        // Column reductions: accumulate n rows of length inner into one output row, vectorised along inner.
        int tiles = (inner + 1023) / 1024;
        void Tile(int t)
        {
            int o = t / tiles, c0 = (t % tiles) * 1024, len = Math.Min(1024, inner - c0);
            var acc = d.AsSpan((int)(dOff + (long)o * inner + c0), len);
            long baseX = xo + (long)o * n * inner + c0;
            x.AsSpan((int)baseX, len).CopyTo(acc);
            for (int j = 1; j < n; j++) Accumulate(op, acc, x.AsSpan((int)(baseX + (long)j * inner), len));
        }
        int total = outer * tiles;
        if (work < ParallelThreshold || total == 1) for (int t = 0; t < total; t++) Tile(t);
        else Parallel.For(0, total, Tile);
    }

    static T ReduceRow<T>(ReduceOp op, ReadOnlySpan<T> row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0, w = Vector<T>.Count;
        ref T r = ref Unsafe.AsRef(in row[0]);
        T result;
        if (row.Length >= 2 * w && Vector.IsHardwareAccelerated)
        {
            var acc = Vector.LoadUnsafe(ref r);
            for (i = w; i <= row.Length - w; i += w)
            {
                var v = Vector.LoadUnsafe(ref Unsafe.Add(ref r, i));
                acc = op switch { ReduceOp.Sum => acc + v, ReduceOp.Max => Vector.Max(acc, v), _ => Vector.Min(acc, v) };
            }
            result = acc[0];
            for (int k = 1; k < w; k++) result = Combine(op, result, acc[k]);
        }
        else
        {
            result = row[0];
            i = 1;
        }
        for (; i < row.Length; i++) result = Combine(op, result, row[i]);
        return result;
    }

    static void Accumulate<T>(ReduceOp op, Span<T> acc, ReadOnlySpan<T> row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0, w = Vector<T>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            ref T a = ref acc[0];
            ref T r = ref Unsafe.AsRef(in row[0]);
            for (; i <= acc.Length - w; i += w)
            {
                var va = Vector.LoadUnsafe(ref Unsafe.Add(ref a, i));
                var vr = Vector.LoadUnsafe(ref Unsafe.Add(ref r, i));
                (op switch { ReduceOp.Sum => va + vr, ReduceOp.Max => Vector.Max(va, vr), _ => Vector.Min(va, vr) }).StoreUnsafe(ref Unsafe.Add(ref a, i));
            }
        }
        for (; i < acc.Length; i++) acc[i] = Combine(op, acc[i], row[i]);
    }

    static T Combine<T>(ReduceOp op, T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => op switch
    {
        ReduceOp.Sum => a + b,
        ReduceOp.Max => T.IsNaN(a) || a > b ? a : b,
        _ => T.IsNaN(a) || a < b ? a : b,
    };
}

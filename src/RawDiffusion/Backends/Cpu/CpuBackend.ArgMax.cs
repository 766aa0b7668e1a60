using System.Numerics;

namespace RawDiffusion.Backends.Cpu;

internal sealed partial class CpuBackend
{
    public void ArgMax(DeviceBuffer x, long xOffset, DeviceBuffer indices, long indicesOffset, int outer, int n, int inner)
    {
        if (indices.DType != DType.Int32) throw new ArgumentException($"ArgMax writes Int32 indices, not {indices.DType}", nameof(indices));
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "ArgMax needs a non-empty axis");
        var idx = Cpu(indices).Array<int>();
        switch (x.DType)
        {
            case DType.Float32: ArgMaxTyped(Cpu(x).Array<float>(), xOffset, idx, indicesOffset, outer, n, inner); break;
            case DType.Float64: ArgMaxTyped(Cpu(x).Array<double>(), xOffset, idx, indicesOffset, outer, n, inner); break;
            default: throw new ArgumentException($"ArgMax is not defined for {x.DType} tensors", nameof(x));
        }
    }

    static void ArgMaxTyped<T>(T[] x, long xo, int[] idx, long io, int outer, int n, int inner) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // One [n, inner] plane per outer index: a plain row scan when inner is 1, otherwise its rows in memory order
        // with the best value so far kept per column.
        void Plane(int o)
        {
            if (inner == 1)
            {
                idx[io + o] = ArgMaxRow(x.AsSpan((int)(xo + (long)o * n), n));
                return;
            }
            long plane = xo + (long)o * n * inner;
            var best = new T[inner];
            Array.Copy(x, plane, best, 0, inner);
            var winner = idx.AsSpan((int)(io + (long)o * inner), inner);
            winner.Clear();
            for (int j = 1; j < n; j++)
            {
                long row = plane + (long)j * inner;
                for (int k = 0; k < inner; k++)
                {
                    T v = x[row + k];
                    if (Beats(v, best[k]))
                    {
                        best[k] = v;
                        winner[k] = j;
                    }
                }
            }
        }
        if ((long)outer * n * inner < ParallelThreshold || outer == 1) for (int o = 0; o < outer; o++) Plane(o);
        else Parallel.For(0, outer, Plane);
    }

    static int ArgMaxRow<T>(ReadOnlySpan<T> row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int winner = 0;
        for (int j = 1; j < row.Length; j++)
            if (Beats(row[j], row[winner])) winner = j;
        return winner;
    }

    /// <summary>Strictly larger, or the first NaN: keeps the first index among ties.</summary>
    static bool Beats<T>(T candidate, T best) where T : unmanaged, IFloatingPointIeee754<T> =>
        candidate > best || (T.IsNaN(candidate) && !T.IsNaN(best));
}

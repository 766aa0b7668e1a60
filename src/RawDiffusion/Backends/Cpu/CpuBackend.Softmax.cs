using System.Numerics;

namespace RawDiffusion.Backends.Cpu;

internal sealed partial class CpuBackend
{
    public void SoftmaxRows(DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset, int rows, int n, bool log)
    {
        switch (y.DType)
        {
            case DType.Float32: SoftmaxKernels.Forward(Cpu(x).Array<float>(), xOffset, Cpu(y).Array<float>(), yOffset, rows, n, log); break;
            case DType.Float64: SoftmaxKernels.Forward(Cpu(x).Array<double>(), xOffset, Cpu(y).Array<double>(), yOffset, rows, n, log); break;
            default: throw new ArgumentException("softmax is not defined for Int32 tensors");
        }
    }

    public void SoftmaxBackwardRows(DeviceBuffer y, long yOffset, DeviceBuffer gradient, long gradientOffset,
                                    DeviceBuffer dx, long dxOffset, int rows, int n, bool log)
    {
        switch (dx.DType)
        {
            case DType.Float32:
                SoftmaxKernels.Backward(Cpu(y).Array<float>(), yOffset, Cpu(gradient).Array<float>(), gradientOffset, Cpu(dx).Array<float>(), dxOffset, rows, n, log);
                break;
            case DType.Float64:
                SoftmaxKernels.Backward(Cpu(y).Array<double>(), yOffset, Cpu(gradient).Array<double>(), gradientOffset, Cpu(dx).Array<double>(), dxOffset, rows, n, log);
                break;
            default: throw new ArgumentException("softmax is not defined for Int32 tensors");
        }
    }
}

/// <summary>Row kernels for softmax and log-softmax: rows run in parallel, each row in a few SIMD passes that stay in cache.</summary>
internal static class SoftmaxKernels
{
    public static void Forward<T>(T[] x, long xo, T[] y, long yo, int rows, int n, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        CpuParallel.ForRanges(rows, (long)rows * n, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                var xr = x.AsSpan((int)(xo + (long)r * n), n);
                var yr = y.AsSpan((int)(yo + (long)r * n), n);
                if (log) LogSoftmaxRow<T>(xr, yr);
                else SoftmaxRow<T>(xr, yr);
            }
        });
    }

    /// <summary>y = exp(x − max) / Σ exp(x − max). Each pass reads an element before writing it, so y may alias x.</summary>
    static void SoftmaxRow<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = SimdRows.Max(x);
        int i = 0, w = Vector<T>.Count, n = x.Length;
        var vmax = new Vector<T>(max);
        var acc = Vector<T>.Zero;
        for (; i <= n - w; i += w)
        {
            var e = SimdRows.Exp(SimdRows.Load(x, i) - vmax);
            acc += e;
            SimdRows.Store(e, y, i);
        }
        T sum = Vector.Sum(acc);
        for (; i < n; i++)
        {
            var e = T.Exp(x[i] - max);
            sum += e;
            y[i] = e;
        }
        SimdRows.Affine<T>(y, y, T.One / sum, T.Zero);
    }

    /// <summary>y = x − max − log Σ exp(x − max).</summary>
    static void LogSoftmaxRow<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = SimdRows.Max(x);
        int i = 0, w = Vector<T>.Count, n = x.Length;
        var vmax = new Vector<T>(max);
        var acc = Vector<T>.Zero;
        for (; i <= n - w; i += w) acc += SimdRows.Exp(SimdRows.Load(x, i) - vmax);
        T sum = Vector.Sum(acc);
        for (; i < n; i++) sum += T.Exp(x[i] - max);
        SimdRows.Affine(x, y, T.One, -(max + T.Log(sum)));
    }

    public static void Backward<T>(T[] y, long yo, T[] g, long go, T[] dx, long dxo, int rows, int n, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        CpuParallel.ForRanges(rows, (long)rows * n, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                var yr = y.AsSpan((int)(yo + (long)r * n), n);
                var gr = g.AsSpan((int)(go + (long)r * n), n);
                var dr = dx.AsSpan((int)(dxo + (long)r * n), n);
                if (log) LogSoftmaxBackwardRow<T>(yr, gr, dr);
                else SoftmaxBackwardRow<T>(yr, gr, dr);
            }
        });
    }

    static void SoftmaxBackwardRow<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T dot = SimdRows.Dot(g, y);
        int i = 0, w = Vector<T>.Count, n = y.Length;
        var vdot = new Vector<T>(dot);
        for (; i <= n - w; i += w) SimdRows.Store(SimdRows.Load(y, i) * (SimdRows.Load(g, i) - vdot), dx, i);
        for (; i < n; i++) dx[i] = y[i] * (g[i] - dot);
    }

    static void LogSoftmaxBackwardRow<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = SimdRows.Sum(g);
        int i = 0, w = Vector<T>.Count, n = y.Length;
        var vsum = new Vector<T>(sum);
        for (; i <= n - w; i += w) SimdRows.Store(SimdRows.Load(g, i) - SimdRows.Exp(SimdRows.Load(y, i)) * vsum, dx, i);
        for (; i < n; i++) dx[i] = g[i] - T.Exp(y[i]) * sum;
    }
}

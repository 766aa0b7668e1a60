using System.Numerics;

namespace RawDiffusion.Backends.Cpu;

internal sealed partial class CpuBackend
{
    public void NormStatistics(StridedView x, NormLayout layout, StridedView mean, StridedView variance)
    {
        switch (x.Buffer.DType)
        {
            case DType.Float32: NormalizationKernels<float>.Statistics(NormBlock<float>(x), layout, NormBlock<float>(mean), NormBlock<float>(variance)); break;
            case DType.Float64: NormalizationKernels<double>.Statistics(NormBlock<double>(x), layout, NormBlock<double>(mean), NormBlock<double>(variance)); break;
            default: throw new ArgumentException("normalisation is not defined for Int32 tensors");
        }
    }

    /// <summary>The reference for the fused activation is the composition it replaces: normalise, keep the value, then
    /// the activation's own map in place (bit for bit what F.Silu(F.GroupNorm(x)) computes).</summary>
    public void NormForward(StridedView x, StridedView mean, StridedView variance, double eps, StridedView? weight, StridedView? bias,
                            NormLayout layout, StridedView y, NormActivation activation = NormActivation.None, StridedView? preActivation = null)
    {
        NormForward(x, mean, variance, eps, weight, bias, layout, y);
        if (activation == NormActivation.None) return;
        if (preActivation is { } pre) Unary(UnaryOp.Copy, y, pre);
        Unary(activation switch
        {
            NormActivation.Silu => UnaryOp.Silu,
            _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown normalisation activation"),
        }, y, y);
    }

    void NormForward(StridedView x, StridedView mean, StridedView variance, double eps, StridedView? weight, StridedView? bias,
                     NormLayout layout, StridedView y)
    {
        switch (x.Buffer.DType)
        {
            case DType.Float32:
                NormalizationKernels<float>.Forward(NormBlock<float>(x), NormBlock<float>(mean), NormBlock<float>(variance), eps,
                    NormBlock<float>(weight), NormBlock<float>(bias), layout, NormBlock<float>(y));
                break;
            case DType.Float64:
                NormalizationKernels<double>.Forward(NormBlock<double>(x), NormBlock<double>(mean), NormBlock<double>(variance), eps,
                    NormBlock<double>(weight), NormBlock<double>(bias), layout, NormBlock<double>(y));
                break;
            default: throw new ArgumentException("normalisation is not defined for Int32 tensors");
        }
    }

    public void NormBackwardSums(StridedView x, StridedView gradient, StridedView mean, StridedView variance, double eps, StridedView? weight,
                                 NormLayout layout, StridedView? statGradSum, StridedView? statGradXhatSum,
                                 StridedView? channelGradSum, StridedView? channelGradXhatSum)
    {
        switch (x.Buffer.DType)
        {
            case DType.Float32:
                NormalizationKernels<float>.BackwardSums(NormBlock<float>(x), NormBlock<float>(gradient), NormBlock<float>(mean), NormBlock<float>(variance), eps,
                    NormBlock<float>(weight), layout, NormBlock<float>(statGradSum), NormBlock<float>(statGradXhatSum),
                    NormBlock<float>(channelGradSum), NormBlock<float>(channelGradXhatSum));
                break;
            case DType.Float64:
                NormalizationKernels<double>.BackwardSums(NormBlock<double>(x), NormBlock<double>(gradient), NormBlock<double>(mean), NormBlock<double>(variance), eps,
                    NormBlock<double>(weight), layout, NormBlock<double>(statGradSum), NormBlock<double>(statGradXhatSum),
                    NormBlock<double>(channelGradSum), NormBlock<double>(channelGradXhatSum));
                break;
            default: throw new ArgumentException("normalisation is not defined for Int32 tensors");
        }
    }

    public void NormBackward(StridedView x, StridedView gradient, StridedView mean, StridedView variance, double eps, StridedView? weight,
                             StridedView? statGradSum, StridedView? statGradXhatSum, NormLayout layout, StridedView dx)
    {
        switch (x.Buffer.DType)
        {
            case DType.Float32:
                NormalizationKernels<float>.Backward(NormBlock<float>(x), NormBlock<float>(gradient), NormBlock<float>(mean), NormBlock<float>(variance), eps,
                    NormBlock<float>(weight), NormBlock<float>(statGradSum), NormBlock<float>(statGradXhatSum), layout, NormBlock<float>(dx));
                break;
            case DType.Float64:
                NormalizationKernels<double>.Backward(NormBlock<double>(x), NormBlock<double>(gradient), NormBlock<double>(mean), NormBlock<double>(variance), eps,
                    NormBlock<double>(weight), NormBlock<double>(statGradSum), NormBlock<double>(statGradXhatSum), layout, NormBlock<double>(dx));
                break;
            default: throw new ArgumentException("normalisation is not defined for Int32 tensors");
        }
    }

    static DenseBlock<T> NormBlock<T>(StridedView view) where T : unmanaged
    {
        if (!view.IsContiguous) throw new ArgumentException($"normalisation primitives need contiguous operands, got shape {ShapeMath.Format(view.Shape)} with strides [{string.Join(", ", view.Strides)}]");
        return new DenseBlock<T>(Cpu(view.Buffer).Array<T>(), view.Offset);
    }

    static DenseBlock<T>? NormBlock<T>(StridedView? view) where T : unmanaged => view is { } v ? NormBlock<T>(v) : null;
}

/// <summary>A contiguous operand: a managed array and the element offset where the operand starts.</summary>
internal readonly record struct DenseBlock<T>(T[] Data, long Offset) where T : unmanaged
{
    public Span<T> Slice(long start, int length) => Data.AsSpan((int)(Offset + start), length);

    public T this[long index]
    {
        get => Data[Offset + index];
        set => Data[Offset + index] = value;
    }
}

/// <summary>The CPU side of the normalisation primitives. Two code shapes: Inner &gt; 1 (group and batch norm over
/// feature maps) works on rows of one channel, vectorised along the spatial axis; Inner == 1 (layer norm, norms of
/// [N, C] inputs) works on rows of channels, vectorised along the channels with the per-channel weight.
/// Sums of float32 data are taken in float32 SIMD lanes and carried across rows in double.</summary>
internal static class NormalizationKernels<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    static T Rstd(T variance, double eps) => T.CreateTruncating(1 / Math.Sqrt(double.CreateTruncating(variance) + eps));

    static double D(T value) => double.CreateTruncating(value);

    public static void Statistics(DenseBlock<T> x, NormLayout layout, DenseBlock<T> mean, DenseBlock<T> variance)
    {
        int segment = layout.GroupSize * layout.Inner;
        int segments = layout.SharedAcrossOuter ? layout.Outer : 1;
        long stride = (long)layout.Channels * layout.Inner;
        double count = layout.GroupCount;
        CpuParallel.ForRanges(layout.StatCount, layout.Numel, (start, end) =>
        {
            for (int k = start; k < end; k++)
            {
                // Group k covers one contiguous segment per outer index (just one unless shared across outer).
                double sum = 0;
                for (int o = 0; o < segments; o++) sum += D(SimdRows.Sum<T>(x.Slice(o * stride + (long)k * segment, segment)));
                double m = sum / count;
                double squares = 0;
                for (int o = 0; o < segments; o++)
                    squares += D(SimdRows.SumSquaredDeviations<T>(x.Slice(o * stride + (long)k * segment, segment), T.CreateTruncating(m)));
                mean[k] = T.CreateTruncating(m);
                variance[k] = T.CreateTruncating(squares / count);
            }
        });
    }

    public static void Forward(DenseBlock<T> x, DenseBlock<T> mean, DenseBlock<T> variance, double eps, DenseBlock<T>? weight, DenseBlock<T>? bias,
                               NormLayout layout, DenseBlock<T> y)
    {
        int channels = layout.Channels, inner = layout.Inner, gs = layout.GroupSize;
        if (inner == 1)
        {
            CpuParallel.ForRanges(layout.Outer, layout.Numel, (start, end) =>
            {
                for (int o = start; o < end; o++)
                    for (int g = 0; g < layout.Groups; g++)
                    {
                        int k = layout.StatIndex(o, g * gs);
                        long at = (long)o * channels + (long)g * gs;
                        NormalizeChannels(x.Slice(at, gs), y.Slice(at, gs), mean[k], Rstd(variance[k], eps),
                            weight is { } w ? w.Slice((long)g * gs, gs) : default, bias is { } b ? b.Slice((long)g * gs, gs) : default);
                    }
            });
            return;
        }
        CpuParallel.ForRanges(layout.Outer * channels, layout.Numel, (start, end) =>
        {
            for (int row = start; row < end; row++)
            {
                int c = row % channels, k = layout.StatIndex(row / channels, c);
                T scale = Rstd(variance[k], eps) * (weight is { } w ? w[c] : T.One);
                CenteredAffine(x.Slice((long)row * inner, inner), y.Slice((long)row * inner, inner), mean[k], scale, bias is { } b ? b[c] : T.Zero);
            }
        });
    }

    /// <summary>y = (x − m)·scale + shift. The mean is subtracted first so data far from zero keeps its precision.</summary>
    static void CenteredAffine(ReadOnlySpan<T> x, Span<T> y, T m, T scale, T shift)
    {
        int i = 0, n = x.Length, lanes = Vector<T>.Count;
        Vector<T> vm = new(m), vs = new(scale), vt = new(shift);
        for (; i <= n - lanes; i += lanes) SimdRows.Store((SimdRows.Load(x, i) - vm) * vs + vt, y, i);
        for (; i < n; i++) y[i] = (x[i] - m) * scale + shift;
    }

    /// <summary>y = (x − m)·r·w + b along a row of channels; an empty w or b means none.</summary>
    static void NormalizeChannels(ReadOnlySpan<T> x, Span<T> y, T m, T r, ReadOnlySpan<T> w, ReadOnlySpan<T> b)
    {
        bool hasW = !w.IsEmpty, hasB = !b.IsEmpty;
        int i = 0, n = x.Length, lanes = Vector<T>.Count;
        var vm = new Vector<T>(m);
        var vr = new Vector<T>(r);
        for (; i <= n - lanes; i += lanes)
        {
            var v = (SimdRows.Load(x, i) - vm) * (hasW ? vr * SimdRows.Load(w, i) : vr);
            SimdRows.Store(hasB ? v + SimdRows.Load(b, i) : v, y, i);
        }
        for (; i < n; i++) y[i] = (x[i] - m) * r * (hasW ? w[i] : T.One) + (hasB ? b[i] : T.Zero);
    }

    public static void BackwardSums(DenseBlock<T> x, DenseBlock<T> g, DenseBlock<T> mean, DenseBlock<T> variance, double eps, DenseBlock<T>? weight,
                                    NormLayout layout, DenseBlock<T>? statGradSum, DenseBlock<T>? statGradXhatSum,
                                    DenseBlock<T>? channelGradSum, DenseBlock<T>? channelGradXhatSum)
    {
        int channels = layout.Channels, inner = layout.Inner, gs = layout.GroupSize;
        bool needStats = statGradSum != null || statGradXhatSum != null;
        // Groups shared across the outer axis are unions of channels: their sums follow from the channel sums.
        bool needChannels = channelGradSum != null || channelGradXhatSum != null || (needStats && layout.SharedAcrossOuter);
        var channelG = needChannels ? new double[channels] : null;
        var channelGX = needChannels ? new double[channels] : null;
        var statG = needStats ? new double[layout.StatCount] : null;
        var statGX = needStats ? new double[layout.StatCount] : null;
        bool perOuterStats = needStats && !layout.SharedAcrossOuter;

        if (inner > 1)
        {
            // Σ g and Σ g·x̂ along each (outer, channel) row, then small serial sums over the rows.
            int rows = layout.Outer * channels;
            var rowG = new double[rows];
            var rowGX = new double[rows];
            CpuParallel.ForRanges(rows, layout.Numel, (start, end) =>
            {
                for (int row = start; row < end; row++)
                {
                    int k = layout.StatIndex(row / channels, row % channels);
                    var (sg, sgx) = CenteredSums(g.Slice((long)row * inner, inner), x.Slice((long)row * inner, inner), mean[k]);
                    rowG[row] = D(sg);
                    rowGX[row] = D(sgx) * D(Rstd(variance[k], eps));
                }
            });
            for (int row = 0; row < rows; row++)
            {
                int c = row % channels;
                if (needChannels)
                {
                    channelG![c] += rowG[row];
                    channelGX![c] += rowGX[row];
                }
                if (perOuterStats)
                {
                    int k = layout.StatIndex(row / channels, c);
                    double wc = weight is { } w ? D(w[c]) : 1;
                    statG![k] += wc * rowG[row];
                    statGX![k] += wc * rowGX[row];
                }
            }
        }
        else
        {
            var gate = new object();
            CpuParallel.ForRanges(layout.Outer, layout.Numel, (start, end) =>
            {
                var localG = needChannels ? new T[channels] : null;
                var localGX = needChannels ? new T[channels] : null;
                for (int o = start; o < end; o++)
                    for (int grp = 0; grp < layout.Groups; grp++)
                    {
                        int k = layout.StatIndex(o, grp * gs);
                        long at = (long)o * channels + (long)grp * gs;
                        var xs = x.Slice(at, gs);
                        var gsl = g.Slice(at, gs);
                        T m = mean[k], r = Rstd(variance[k], eps);
                        if (needChannels) AccumulateChannels(localG.AsSpan(grp * gs, gs), localGX.AsSpan(grp * gs, gs), gsl, xs, m, r);
                        if (perOuterStats)
                        {
                            var (swg, swgx) = WeightedCenteredSums(gsl, xs, weight is { } w ? w.Slice((long)grp * gs, gs) : default, m);
                            statG![k] = D(swg);
                            statGX![k] = D(swgx) * D(r);
                        }
                    }
                if (!needChannels) return;
                lock (gate)
                    for (int c = 0; c < channels; c++)
                    {
                        channelG![c] += D(localG![c]);
                        channelGX![c] += D(localGX![c]);
                    }
            });
        }

        if (needStats && layout.SharedAcrossOuter)
            for (int c = 0; c < channels; c++)
            {
                int k = c / gs;
                double wc = weight is { } w ? D(w[c]) : 1;
                statG![k] += wc * channelG![c];
                statGX![k] += wc * channelGX![c];
            }
        Write(statG, statGradSum);
        Write(statGX, statGradXhatSum);
        Write(channelG, channelGradSum);
        Write(channelGX, channelGradXhatSum);
    }

    static void Write(double[]? values, DenseBlock<T>? destination)
    {
        if (values == null || destination is not { } d) return;
        for (int i = 0; i < values.Length; i++) d[i] = T.CreateTruncating(values[i]);
    }

    /// <summary>(Σ g, Σ g·(x − m)).</summary>
    static (T, T) CenteredSums(ReadOnlySpan<T> g, ReadOnlySpan<T> x, T m)
    {
        int i = 0, n = g.Length, lanes = Vector<T>.Count;
        var vm = new Vector<T>(m);
        Vector<T> accG = Vector<T>.Zero, accGX = Vector<T>.Zero;
        for (; i <= n - lanes; i += lanes)
        {
            var vg = SimdRows.Load(g, i);
            accG += vg;
            accGX += vg * (SimdRows.Load(x, i) - vm);
        }
        T sg = Vector.Sum(accG), sgx = Vector.Sum(accGX);
        for (; i < n; i++)
        {
            sg += g[i];
            sgx += g[i] * (x[i] - m);
        }
        return (sg, sgx);
    }

    /// <summary>(Σ w·g, Σ w·g·(x − m)) along a row of channels; an empty w means 1.</summary>
    static (T, T) WeightedCenteredSums(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> w, T m)
    {
        bool hasW = !w.IsEmpty;
        int i = 0, n = g.Length, lanes = Vector<T>.Count;
        var vm = new Vector<T>(m);
        Vector<T> accG = Vector<T>.Zero, accGX = Vector<T>.Zero;
        for (; i <= n - lanes; i += lanes)
        {
            var vg = hasW ? SimdRows.Load(g, i) * SimdRows.Load(w, i) : SimdRows.Load(g, i);
            accG += vg;
            accGX += vg * (SimdRows.Load(x, i) - vm);
        }
        T sg = Vector.Sum(accG), sgx = Vector.Sum(accGX);
        for (; i < n; i++)
        {
            var wg = hasW ? g[i] * w[i] : g[i];
            sg += wg;
            sgx += wg * (x[i] - m);
        }
        return (sg, sgx);
    }

    /// <summary>sumG += g and sumGX += g·(x − m)·r along a row of channels.</summary>
    static void AccumulateChannels(Span<T> sumG, Span<T> sumGX, ReadOnlySpan<T> g, ReadOnlySpan<T> x, T m, T r)
    {
        int i = 0, n = g.Length, lanes = Vector<T>.Count;
        var vm = new Vector<T>(m);
        var vr = new Vector<T>(r);
        for (; i <= n - lanes; i += lanes)
        {
            var vg = SimdRows.Load(g, i);
            SimdRows.Store(SimdRows.Load<T>(sumG, i) + vg, sumG, i);
            SimdRows.Store(SimdRows.Load<T>(sumGX, i) + vg * (SimdRows.Load(x, i) - vm) * vr, sumGX, i);
        }
        for (; i < n; i++)
        {
            sumG[i] += g[i];
            sumGX[i] += g[i] * (x[i] - m) * r;
        }
    }

    public static void Backward(DenseBlock<T> x, DenseBlock<T> g, DenseBlock<T> mean, DenseBlock<T> variance, double eps, DenseBlock<T>? weight,
                                DenseBlock<T>? statGradSum, DenseBlock<T>? statGradXhatSum, NormLayout layout, DenseBlock<T> dx)
    {
        int channels = layout.Channels, inner = layout.Inner, gs = layout.GroupSize;
        double count = layout.GroupCount;
        // dx = rstd·w·g + a2·(x − mean) + a3, with a2 = −rstd²·B/m and a3 = −rstd·A/m (A, B the group sums).
        (double R, double A2, double A3) Coefficients(int k)
        {
            double r = D(Rstd(variance[k], eps));
            double a = statGradSum is { } sa ? D(sa[k]) : 0, b = statGradXhatSum is { } sb ? D(sb[k]) : 0;
            return (r, -r * r * b / count, -r * a / count);
        }
        if (inner == 1)
        {
            CpuParallel.ForRanges(layout.Outer, layout.Numel, (start, end) =>
            {
                for (int o = start; o < end; o++)
                    for (int grp = 0; grp < layout.Groups; grp++)
                    {
                        int k = layout.StatIndex(o, grp * gs);
                        var (r, a2, a3) = Coefficients(k);
                        long at = (long)o * channels + (long)grp * gs;
                        ChannelGradient(g.Slice(at, gs), x.Slice(at, gs), weight is { } w ? w.Slice((long)grp * gs, gs) : default,
                            T.CreateTruncating(r), T.CreateTruncating(a2), mean[k], T.CreateTruncating(a3), dx.Slice(at, gs));
                    }
            });
            return;
        }
        CpuParallel.ForRanges(layout.Outer * channels, layout.Numel, (start, end) =>
        {
            for (int row = start; row < end; row++)
            {
                int c = row % channels, k = layout.StatIndex(row / channels, c);
                var (r, a2, a3) = Coefficients(k);
                T a1 = T.CreateTruncating(r) * (weight is { } w ? w[c] : T.One);
                RowGradient(g.Slice((long)row * inner, inner), x.Slice((long)row * inner, inner), a1, T.CreateTruncating(a2), mean[k],
                    T.CreateTruncating(a3), dx.Slice((long)row * inner, inner));
            }
        });
    }

    /// <summary>dx = a1·g + a2·(x − m) + a3.</summary>
    static void RowGradient(ReadOnlySpan<T> g, ReadOnlySpan<T> x, T a1, T a2, T m, T a3, Span<T> dx)
    {
        int i = 0, n = g.Length, lanes = Vector<T>.Count;
        Vector<T> v1 = new(a1), v2 = new(a2), vm = new(m), v3 = new(a3);
        for (; i <= n - lanes; i += lanes) SimdRows.Store(v1 * SimdRows.Load(g, i) + v2 * (SimdRows.Load(x, i) - vm) + v3, dx, i);
        for (; i < n; i++) dx[i] = a1 * g[i] + a2 * (x[i] - m) + a3;
    }

    /// <summary>dx = r·w·g + a2·(x − m) + a3 along a row of channels; an empty w means 1.</summary>
    static void ChannelGradient(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> w, T r, T a2, T m, T a3, Span<T> dx)
    {
        bool hasW = !w.IsEmpty;
        int i = 0, n = g.Length, lanes = Vector<T>.Count;
        Vector<T> vr = new(r), v2 = new(a2), vm = new(m), v3 = new(a3);
        for (; i <= n - lanes; i += lanes)
        {
            var vg = hasW ? SimdRows.Load(g, i) * SimdRows.Load(w, i) : SimdRows.Load(g, i);
            SimdRows.Store(vr * vg + v2 * (SimdRows.Load(x, i) - vm) + v3, dx, i);
        }
        for (; i < n; i++) dx[i] = r * (hasW ? g[i] * w[i] : g[i]) + a2 * (x[i] - m) + a3;
    }
}

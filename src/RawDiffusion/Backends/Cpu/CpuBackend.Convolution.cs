using System.Numerics;

namespace RawDiffusion.Backends.Cpu;

internal sealed partial class CpuBackend
{
    public void Im2Col(DeviceBuffer image, long imageOffset, DeviceBuffer columns, long columnsOffset, in Conv2dGeometry geometry, int images)
    {
        switch (image.DType)
        {
            case DType.Float32: Im2ColTyped(Cpu(image).Array<float>(), imageOffset, Cpu(columns).Array<float>(), columnsOffset, geometry, images); break;
            case DType.Float64: Im2ColTyped(Cpu(image).Array<double>(), imageOffset, Cpu(columns).Array<double>(), columnsOffset, geometry, images); break;
            default: throw new ArgumentException("Im2Col is not defined for Int32 tensors");
        }
    }

    public void Col2Im(DeviceBuffer columns, long columnsOffset, DeviceBuffer image, long imageOffset, in Conv2dGeometry geometry, int images)
    {
        switch (image.DType)
        {
            case DType.Float32: Col2ImTyped(Cpu(columns).Array<float>(), columnsOffset, Cpu(image).Array<float>(), imageOffset, geometry, images); break;
            case DType.Float64: Col2ImTyped(Cpu(columns).Array<double>(), columnsOffset, Cpu(image).Array<double>(), imageOffset, geometry, images); break;
            default: throw new ArgumentException("Col2Im is not defined for Int32 tensors");
        }
    }

    /// <summary>Threads take whole (image, channel) planes: each writes its own kh·kw column rows.
    /// Along a row, the output columns whose tap lands inside the image form one range [lo, hi) per kernel column,
    /// computed once, so the inner loop is a plain copy (a block copy at stride 1) between two zero fills.</summary>
    static void Im2ColTyped<T>(T[] x, long xo, T[] col, long co, Conv2dGeometry g, int images) where T : unmanaged
    {
        int channels = g.Channels, h = g.Height, w = g.Width, kh = g.KernelHeight, kw = g.KernelWidth, sw = g.StrideWidth;
        int outH = g.OutputHeight, outW = g.OutputWidth;
        long plane = g.OutputPlane, ld = images * plane;
        var (lo, hi) = TapRanges(g);
        CpuParallel.ForRanges(images * channels, (long)g.ColumnRows * ld, (start, end) =>
        {
            for (int item = start; item < end; item++)
            {
                int n = item / channels, c = item % channels;
                long source = xo + ((long)n * channels + c) * g.InputPlane;
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                    {
                        long row = co + ((long)(c * kh + i) * kw + j) * ld + n * plane;
                        int shift = j * g.DilationWidth - g.PadWidth;
                        for (int oh = 0; oh < outH; oh++)
                        {
                            var dst = col.AsSpan((int)(row + (long)oh * outW), outW);
                            int ih = oh * g.StrideHeight - g.PadHeight + i * g.DilationHeight;
                            if ((uint)ih >= (uint)h)
                            {
                                dst.Clear();
                                continue;
                            }
                            int a = lo[j], b = hi[j];
                            dst[..a].Clear();
                            long s = source + (long)ih * w + (long)a * sw + shift;
                            if (sw == 1) x.AsSpan((int)s, b - a).CopyTo(dst[a..b]);
                            else for (int ow = a; ow < b; ow++, s += sw) dst[ow] = x[s];
                            dst[b..].Clear();
                        }
                    }
            }
        });
    }

    /// <summary>Each thread owns whole (image, channel) planes and gathers into them every column entry that read them,
    /// so no two threads write one pixel and the summation order is fixed.</summary>
    static void Col2ImTyped<T>(T[] col, long co, T[] x, long xo, Conv2dGeometry g, int images) where T : unmanaged, INumberBase<T>
    {
        int channels = g.Channels, h = g.Height, w = g.Width, kh = g.KernelHeight, kw = g.KernelWidth, sw = g.StrideWidth;
        int outH = g.OutputHeight, outW = g.OutputWidth;
        long plane = g.OutputPlane, ld = images * plane;
        var (lo, hi) = TapRanges(g);
        CpuParallel.ForRanges(images * channels, (long)g.ColumnRows * ld, (start, end) =>
        {
            for (int item = start; item < end; item++)
            {
                int n = item / channels, c = item % channels;
                long target = xo + ((long)n * channels + c) * g.InputPlane;
                x.AsSpan((int)target, (int)g.InputPlane).Clear();
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                    {
                        long row = co + ((long)(c * kh + i) * kw + j) * ld + n * plane;
                        int shift = j * g.DilationWidth - g.PadWidth, a = lo[j], b = hi[j];
                        if (b <= a) continue;
                        for (int oh = 0; oh < outH; oh++)
                        {
                            int ih = oh * g.StrideHeight - g.PadHeight + i * g.DilationHeight;
                            if ((uint)ih >= (uint)h) continue;
                            long src = row + (long)oh * outW, d = target + (long)ih * w + (long)a * sw + shift;
                            if (sw == 1) VectorRows.Add(x.AsSpan((int)d, b - a), col.AsSpan((int)(src + a), b - a));
                            else for (int ow = a; ow < b; ow++, d += sw) x[d] += col[src + ow];
                        }
                    }
            }
        });
    }

    /// <summary>For each kernel column j, the output columns [lo, hi) whose tap ow·sw − pw + j·dw lies in [0, Width).</summary>
    static (int[] Lo, int[] Hi) TapRanges(in Conv2dGeometry g)
    {
        var lo = new int[g.KernelWidth];
        var hi = new int[g.KernelWidth];
        int sw = g.StrideWidth, outW = g.OutputWidth;
        for (int j = 0; j < g.KernelWidth; j++)
        {
            int shift = j * g.DilationWidth - g.PadWidth;
            int first = shift >= 0 ? 0 : (-shift + sw - 1) / sw;
            int last = g.Width - 1 - shift < 0 ? -1 : (g.Width - 1 - shift) / sw;
            lo[j] = Math.Min(first, outW);
            hi[j] = Math.Max(lo[j], Math.Min(outW, last + 1));
        }
        return (lo, hi);
    }
}

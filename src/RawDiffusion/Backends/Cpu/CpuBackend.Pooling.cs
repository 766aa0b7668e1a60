using System.Numerics;
using System.Runtime.CompilerServices;

namespace RawDiffusion.Backends.Cpu;

internal sealed partial class CpuBackend
{
    public void MaxPool2d(DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset, DeviceBuffer indices, long indicesOffset,
                          in Pool2dGeometry geometry, int planes)
    {
        switch (x.DType)
        {
            case DType.Float32: MaxPoolTyped(Cpu(x).Array<float>(), xOffset, Cpu(y).Array<float>(), yOffset, Cpu(indices).Array<int>(), indicesOffset, geometry, planes); break;
            case DType.Float64: MaxPoolTyped(Cpu(x).Array<double>(), xOffset, Cpu(y).Array<double>(), yOffset, Cpu(indices).Array<int>(), indicesOffset, geometry, planes); break;
            default: throw new ArgumentException("MaxPool2d is not defined for Int32 tensors");
        }
    }

    public void MaxPool2dBackward(DeviceBuffer gradY, long gradYOffset, DeviceBuffer indices, long indicesOffset,
                                  DeviceBuffer gradX, long gradXOffset, in Pool2dGeometry geometry, int planes)
    {
        switch (gradY.DType)
        {
            case DType.Float32: MaxPoolBackwardTyped(Cpu(gradY).Array<float>(), gradYOffset, Cpu(indices).Array<int>(), indicesOffset, Cpu(gradX).Array<float>(), gradXOffset, geometry, planes); break;
            case DType.Float64: MaxPoolBackwardTyped(Cpu(gradY).Array<double>(), gradYOffset, Cpu(indices).Array<int>(), indicesOffset, Cpu(gradX).Array<double>(), gradXOffset, geometry, planes); break;
            default: throw new ArgumentException("MaxPool2dBackward is not defined for Int32 tensors");
        }
    }

    public void SumPool2d(DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset, in Pool2dGeometry geometry, int planes, double scale)
    {
        switch (x.DType)
        {
            case DType.Float32: SumPoolTyped(Cpu(x).Array<float>(), xOffset, Cpu(y).Array<float>(), yOffset, geometry, planes, (float)scale); break;
            case DType.Float64: SumPoolTyped(Cpu(x).Array<double>(), xOffset, Cpu(y).Array<double>(), yOffset, geometry, planes, scale); break;
            default: throw new ArgumentException("SumPool2d is not defined for Int32 tensors");
        }
    }

    public void SumPool2dBackward(DeviceBuffer gradY, long gradYOffset, DeviceBuffer gradX, long gradXOffset, in Pool2dGeometry geometry, int planes, double scale)
    {
        switch (gradY.DType)
        {
            case DType.Float32: SumPoolBackwardTyped(Cpu(gradY).Array<float>(), gradYOffset, Cpu(gradX).Array<float>(), gradXOffset, geometry, planes, (float)scale); break;
            case DType.Float64: SumPoolBackwardTyped(Cpu(gradY).Array<double>(), gradYOffset, Cpu(gradX).Array<double>(), gradXOffset, geometry, planes, scale); break;
            default: throw new ArgumentException("SumPool2dBackward is not defined for Int32 tensors");
        }
    }

    /// <summary>Threads take output rows (plane, oh); each window is clipped to the image, so padding is never read.</summary>
    static void MaxPoolTyped<T>(T[] x, long xo, T[] y, long yo, int[] indices, long io, Pool2dGeometry g, int planes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (w0, w1) = WindowColumns(g);
        CpuParallel.ForRanges(planes * g.OutputHeight, (long)planes * g.OutputPlane * g.KernelHeight * g.KernelWidth,
            (start, end) => MaxPoolRows(x, xo, y, yo, indices, io, g, w0, w1, start, end));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void MaxPoolRows<T>(T[] x, long xo, T[] y, long yo, int[] indices, long io, Pool2dGeometry g, int[] w0, int[] w1, int start, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outH = g.OutputHeight, outW = g.OutputWidth, w = g.Width;
        for (int row = start; row < end; row++)
        {
            int p = row / outH, oh = row % outH;
            int h0 = Math.Max(0, oh * g.StrideHeight - g.PadHeight), h1 = Math.Min(g.Height, oh * g.StrideHeight - g.PadHeight + g.KernelHeight);
            long plane = xo + p * g.InputPlane, output = (long)row * outW;
            for (int ow = 0; ow < outW; ow++)
            {
                T best = T.NegativeInfinity;
                int at = h0 * w + w0[ow];
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0[ow]; iw < w1[ow]; iw++)
                    {
                        T v = x[plane + ih * w + iw];
                        if (v > best || T.IsNaN(v))
                        {
                            best = v;
                            at = ih * w + iw;
                        }
                    }
                y[yo + output + ow] = best;
                indices[io + output + ow] = at;
            }
        }
    }

    /// <summary>Overlapping windows can share a maximum, so threads take whole planes and add in a fixed order.</summary>
    static void MaxPoolBackwardTyped<T>(T[] gy, long gyo, int[] indices, long io, T[] gx, long gxo, Pool2dGeometry g, int planes)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        CpuParallel.ForRanges(planes, planes * (g.InputPlane + g.OutputPlane), (start, end) => MaxPoolBackwardPlanes(gy, gyo, indices, io, gx, gxo, g, start, end));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void MaxPoolBackwardPlanes<T>(T[] gy, long gyo, int[] indices, long io, T[] gx, long gxo, Pool2dGeometry g, int start, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long outPlane = g.OutputPlane, inPlane = g.InputPlane;
        for (int p = start; p < end; p++)
        {
            long target = gxo + p * inPlane, source = p * outPlane;
            gx.AsSpan((int)target, (int)inPlane).Clear();
            for (long o = 0; o < outPlane; o++) gx[target + indices[io + source + o]] += gy[gyo + source + o];
        }
    }

    static void SumPoolTyped<T>(T[] x, long xo, T[] y, long yo, Pool2dGeometry g, int planes, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (w0, w1) = WindowColumns(g);
        CpuParallel.ForRanges(planes * g.OutputHeight, (long)planes * g.OutputPlane * g.KernelHeight * g.KernelWidth,
            (start, end) => SumPoolRows(x, xo, y, yo, g, w0, w1, scale, start, end));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void SumPoolRows<T>(T[] x, long xo, T[] y, long yo, Pool2dGeometry g, int[] w0, int[] w1, T scale, int start, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outH = g.OutputHeight, outW = g.OutputWidth, w = g.Width;
        for (int row = start; row < end; row++)
        {
            int p = row / outH, oh = row % outH;
            int h0 = Math.Max(0, oh * g.StrideHeight - g.PadHeight), h1 = Math.Min(g.Height, oh * g.StrideHeight - g.PadHeight + g.KernelHeight);
            long plane = xo + p * g.InputPlane, output = yo + (long)row * outW;
            for (int ow = 0; ow < outW; ow++)
            {
                T sum = T.Zero;
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0[ow]; iw < w1[ow]; iw++) sum += x[plane + ih * w + iw];
                y[output + ow] = scale * sum;
            }
        }
    }

    /// <summary>Gather form: each input row (plane, ih) sums the output windows that cover it, so threads write disjoint
    /// rows. When windows tile the input (nearest upsampling, 2x2 pooling) a pixel has at most one window: each output
    /// value is spread over its run of kernel-width pixels, and the rows after the first of a window copy that row.</summary>
    static void SumPoolBackwardTyped<T>(T[] gy, long gyo, T[] gx, long gxo, Pool2dGeometry g, int planes, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (ow0, ow1) = CoveringWindows(g.Width, g.KernelWidth, g.StrideWidth, g.PadWidth, g.OutputWidth);
        CpuParallel.ForRanges(planes * g.Height, (long)planes * g.InputPlane * (g.IsTiling ? 1 : g.KernelHeight * g.KernelWidth),
            (start, end) => SumPoolBackwardRows(gy, gyo, gx, gxo, g, ow0, ow1, scale, start, end));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void SumPoolBackwardRows<T>(T[] gy, long gyo, T[] gx, long gxo, Pool2dGeometry g, int[] ow0, int[] ow1, T scale, int start, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = g.Height, w = g.Width, outH = g.OutputHeight, outW = g.OutputWidth, sh = g.StrideHeight, kh = g.KernelHeight, kw = g.KernelWidth;
        bool tiling = g.IsTiling;
        for (int row = start; row < end; row++)
        {
            int p = row / h, ih = row % h;
            var target = gx.AsSpan((int)(gxo + (long)row * w), w);
            long outputs = gyo + p * g.OutputPlane;
            if (tiling)
            {
                int oh = ih / sh;
                if (oh >= outH) target.Clear();
                else if (ih % sh != 0 && row > start) gx.AsSpan((int)(gxo + (long)(row - 1) * w), w).CopyTo(target);
                else
                {
                    long source = outputs + (long)oh * outW;
                    if (kw == 1) SimdRows.Scale(target[..outW], gy.AsSpan((int)source, outW), scale);
                    else
                        for (int ow = 0; ow < outW; ow++)
                        {
                            T v = scale * gy[source + ow];
                            for (int k = 0; k < kw; k++) target[ow * kw + k] = v;
                        }
                    target[(outW * kw)..].Clear();
                }
                continue;
            }
            int oh0 = Math.Max(0, FloorDiv(ih + g.PadHeight - kh, sh) + 1), oh1 = Math.Min(outH, (ih + g.PadHeight) / sh + 1);
            for (int iw = 0; iw < w; iw++)
            {
                T sum = T.Zero;
                for (int oh = oh0; oh < oh1; oh++)
                {
                    long source = outputs + (long)oh * outW;
                    for (int ow = ow0[iw]; ow < ow1[iw]; ow++) sum += gy[source + ow];
                }
                target[iw] = scale * sum;
            }
        }
    }

    /// <summary>For each output column, the input columns [lo, hi) its window covers inside the image.</summary>
    static (int[] Lo, int[] Hi) WindowColumns(in Pool2dGeometry g)
    {
        int outW = g.OutputWidth;
        var lo = new int[outW];
        var hi = new int[outW];
        for (int ow = 0; ow < outW; ow++)
        {
            int s = ow * g.StrideWidth - g.PadWidth;
            lo[ow] = Math.Max(0, s);
            hi[ow] = Math.Min(g.Width, s + g.KernelWidth);
        }
        return (lo, hi);
    }

    /// <summary>For each input position i of a dimension, the windows [lo, hi) that contain it: o·stride − pad ≤ i &lt; o·stride − pad + kernel.</summary>
    static (int[] Lo, int[] Hi) CoveringWindows(int size, int kernel, int stride, int pad, int outputs)
    {
        var lo = new int[size];
        var hi = new int[size];
        for (int i = 0; i < size; i++)
        {
            lo[i] = Math.Max(0, FloorDiv(i + pad - kernel, stride) + 1);
            hi[i] = Math.Max(lo[i], Math.Min(outputs, (i + pad) / stride + 1));
        }
        return (lo, hi);
    }

    static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawDiffusion.Backends.Cpu;

internal sealed partial class CpuBackend
{
    public void Im2Col(DeviceBuffer image, long imageOffset, DeviceBuffer columns, long columnsOffset, in Conv2dGeometry geometry, int images)
    {
        switch (image.DType)
        {
            case DType.Float32: Im2ColTyped(Cpu(image).Array<float>(), imageOffset, Cpu(columns).Array<float>(), columnsOffset, new TapPlan(geometry), images); break;
            case DType.Float64: Im2ColTyped(Cpu(image).Array<double>(), imageOffset, Cpu(columns).Array<double>(), columnsOffset, new TapPlan(geometry), images); break;
            default: throw new ArgumentException("Im2Col is not defined for Int32 tensors");
        }
    }

    public void Col2Im(DeviceBuffer columns, long columnsOffset, DeviceBuffer image, long imageOffset, in Conv2dGeometry geometry, int images)
    {
        switch (image.DType)
        {
            case DType.Float32: Col2ImTyped(Cpu(columns).Array<float>(), columnsOffset, Cpu(image).Array<float>(), imageOffset, new TapPlan(geometry), images); break;
            case DType.Float64: Col2ImTyped(Cpu(columns).Array<double>(), columnsOffset, Cpu(image).Array<double>(), imageOffset, new TapPlan(geometry), images); break;
            default: throw new ArgumentException("Col2Im is not defined for Int32 tensors");
        }
    }

    /// <summary>Threads take whole (image, channel) planes: each writes its own kh·kw blocks of [OutputHeight, OutputWidth]
    /// column entries. Rows and columns whose tap falls in the padding are known per kernel row/column in advance, so each
    /// output row is a zero fill, a copy and a zero fill.</summary>
    static void Im2ColTyped<T>(T[] x, long xo, T[] col, long co, TapPlan p, int images) where T : unmanaged
    {
        long ld = images * (long)p.Plane;
        CpuParallel.ForRanges(images * p.Channels, p.Channels * p.Taps * ld, (start, end) =>
        {
            for (int item = start; item < end; item++)
            {
                int n = item / p.Channels, c = item % p.Channels;
                long source = xo + ((long)n * p.Channels + c) * p.Height * p.Width;
                for (int i = 0; i < p.KernelHeight; i++)
                    for (int j = 0; j < p.KernelWidth; j++)
                    {
                        long block = co + ((long)(c * p.KernelHeight + i) * p.KernelWidth + j) * ld + (long)n * p.Plane;
                        Im2ColTap(x, source, col.AsSpan((int)block, p.Plane), p, i, j);
                    }
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Im2ColTap<T>(T[] x, long source, Span<T> block, TapPlan p, int i, int j) where T : unmanaged
    {
        int w = p.Width, outW = p.OutputWidth, first = p.RowFirst[i], last = p.RowLast[i], lo = p.ColumnFirst[j], hi = p.ColumnLast[j];
        block[..(first * outW)].Clear();
        block[(last * outW)..].Clear();
        if (last == first) return;
        long top = source + (long)(first * p.StrideHeight + p.RowShift[i]) * w + p.ColumnShift[j];
        ref T b = ref MemoryMarshal.GetReference(block);
        if (p.ShiftedCopy)
        {
            // Unit strides and equal row lengths: the tap reads the image shifted by a constant, so all valid rows are one
            // block copy; only the [0, lo) and [hi, w) ends of each row, which picked up neighbouring pixels, are zeroed.
            int length = (last - first) * w - lo - (w - hi);
            if (length > 0) x.AsSpan((int)(top + lo), length).CopyTo(block[(first * w + lo)..]);
            for (int oh = first; oh < last; oh++)
            {
                ref T r = ref Unsafe.Add(ref b, oh * w);
                for (int k = 0; k < lo; k++) Unsafe.Add(ref r, k) = default;
                for (int k = hi; k < w; k++) Unsafe.Add(ref r, k) = default;
            }
            return;
        }
        int sw = p.StrideWidth;
        ref T xr = ref MemoryMarshal.GetArrayDataReference(x);
        for (int oh = first; oh < last; oh++, top += (long)p.StrideHeight * w)
        {
            ref T r = ref Unsafe.Add(ref b, oh * outW);
            for (int k = 0; k < lo; k++) Unsafe.Add(ref r, k) = default;
            if (sw == 1) x.AsSpan((int)(top + lo), hi - lo).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref r, lo), hi - lo));
            else
            {
                ref T s = ref Unsafe.Add(ref xr, (nint)top);
                for (int ow = lo; ow < hi; ow++) Unsafe.Add(ref r, ow) = Unsafe.Add(ref s, ow * sw);
            }
            for (int k = hi; k < outW; k++) Unsafe.Add(ref r, k) = default;
        }
    }

    /// <summary>Each thread owns whole (image, channel) planes and gathers into them every column entry that read them,
    /// so no two threads write one pixel and the summation order is fixed.</summary>
    static void Col2ImTyped<T>(T[] col, long co, T[] x, long xo, TapPlan p, int images) where T : unmanaged, INumberBase<T>
    {
        long ld = images * (long)p.Plane;
        CpuParallel.ForRanges(images * p.Channels, p.Channels * p.Taps * ld, (start, end) =>
        {
            for (int item = start; item < end; item++)
            {
                int n = item / p.Channels, c = item % p.Channels;
                var target = x.AsSpan((int)(xo + ((long)n * p.Channels + c) * p.Height * p.Width), p.Height * p.Width);
                target.Clear();
                for (int i = 0; i < p.KernelHeight; i++)
                    for (int j = 0; j < p.KernelWidth; j++)
                    {
                        long block = co + ((long)(c * p.KernelHeight + i) * p.KernelWidth + j) * ld + (long)n * p.Plane;
                        Col2ImTap(col.AsSpan((int)block, p.Plane), target, p, i, j);
                    }
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Col2ImTap<T>(ReadOnlySpan<T> block, Span<T> target, TapPlan p, int i, int j) where T : unmanaged, INumberBase<T>
    {
        int w = p.Width, outW = p.OutputWidth, first = p.RowFirst[i], last = p.RowLast[i], lo = p.ColumnFirst[j], hi = p.ColumnLast[j];
        if (last == first || hi == lo) return;
        int sw = p.StrideWidth, top = (first * p.StrideHeight + p.RowShift[i]) * w + p.ColumnShift[j];
        ref T t = ref MemoryMarshal.GetReference(target);
        ref T b = ref MemoryMarshal.GetReference(block);
        for (int oh = first; oh < last; oh++, top += p.StrideHeight * w)
        {
            if (sw == 1)
            {
                SimdRows.Add(target.Slice(top + lo, hi - lo), block.Slice(oh * outW + lo, hi - lo));
                continue;
            }
            ref T r = ref Unsafe.Add(ref b, oh * outW);
            ref T d = ref Unsafe.Add(ref t, top);
            for (int ow = lo; ow < hi; ow++) Unsafe.Add(ref d, ow * sw) += Unsafe.Add(ref r, ow);
        }
    }

    /// <summary>Where each kernel tap lands, computed once per call: kernel row i reads image row
    /// oh·sh + RowShift[i], inside the image for output rows [RowFirst[i], RowLast[i]); kernel column j reads image
    /// column ow·sw + ColumnShift[j], inside for output columns [ColumnFirst[j], ColumnLast[j]).</summary>
    sealed class TapPlan
    {
        public readonly int Channels, Height, Width, KernelHeight, KernelWidth, StrideHeight, StrideWidth, OutputWidth, Plane, Taps;
        public readonly int[] RowShift, RowFirst, RowLast, ColumnShift, ColumnFirst, ColumnLast;

        /// <summary>Stride 1 both ways and output rows as long as input rows: a tap's block is the image shifted by a constant.</summary>
        public readonly bool ShiftedCopy;

        public TapPlan(in Conv2dGeometry g)
        {
            (Channels, Height, Width, KernelHeight, KernelWidth) = (g.Channels, g.Height, g.Width, g.KernelHeight, g.KernelWidth);
            (StrideHeight, StrideWidth, OutputWidth, Plane, Taps) = (g.StrideHeight, g.StrideWidth, g.OutputWidth, (int)g.OutputPlane, g.KernelHeight * g.KernelWidth);
            (RowShift, RowFirst, RowLast) = Ranges(g.KernelHeight, g.DilationHeight, g.PadHeight, g.StrideHeight, g.Height, g.OutputHeight);
            (ColumnShift, ColumnFirst, ColumnLast) = Ranges(g.KernelWidth, g.DilationWidth, g.PadWidth, g.StrideWidth, g.Width, g.OutputWidth);
            ShiftedCopy = StrideHeight == 1 && StrideWidth == 1 && OutputWidth == Width;
        }

        /// <summary>Per kernel position k: the shift k·dilation − pad and the outputs o with 0 ≤ o·stride + shift &lt; size.</summary>
        static (int[] Shift, int[] First, int[] Last) Ranges(int kernel, int dilation, int pad, int stride, int size, int outputs)
        {
            var shift = new int[kernel];
            var first = new int[kernel];
            var last = new int[kernel];
            for (int k = 0; k < kernel; k++)
            {
                shift[k] = k * dilation - pad;
                first[k] = Math.Min(outputs, shift[k] >= 0 ? 0 : (-shift[k] + stride - 1) / stride);
                last[k] = Math.Max(first[k], Math.Min(outputs, size - 1 - shift[k] < 0 ? 0 : (size - 1 - shift[k]) / stride + 1));
            }
            return (shift, first, last);
        }
    }
}

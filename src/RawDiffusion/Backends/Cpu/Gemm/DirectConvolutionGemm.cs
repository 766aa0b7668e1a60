using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// Float32 convolutions that keep the image size (stride 1, no dilation, an odd kernel with "same" padding: the 3x3,
/// padding 1 convolutions of every ResBlock) as GEMMs on the AVX-512 micro-kernel whose column matrix is never stored.
/// <para>For such a convolution, kernel tap (i, j) reads the image shifted by a constant, s = (i − ph)·W + (j − pw):
/// output pixel q reads input pixel q + s, or zero where the shifted row or column leaves the image. So a packed panel
/// of the column matrix (one row (channel, tap) by 32 consecutive output pixels) is two masked 16-lane loads from the
/// image, made straight into the GEMM's packing buffer. Lowering through Im2Col instead writes the whole column matrix
/// (kh·kw times the image) to memory and reads it back to pack it; replacing that took 22% off the CPU time of a
/// d2nwg-small weight-VAE training step and 32% off a UNet step (2-core EPYC).</para>
/// <list type="bullet">
/// <item>forward: Y[n] = W · columns(x[n]): the weight is packed once as the A operand, column panels are built per block of
/// output pixels (threads take blocks of pixels of whole images);</item>
/// <item>input gradient: the same product with the kernel flipped and its in/out channels swapped, applied to dY (the
/// adjoint of a "same" convolution is a "same" convolution), instead of a GEMM into a column matrix and Col2Im;</item>
/// <item>weight gradient: dW = Σ_n dY[n] · columns(x[n])ᵀ: dY is the A operand and each B panel (32 column-matrix rows by
/// a depth block of pixels) is built in L1 from the shifted image and transposed into place; threads take contiguous
/// shares of the pixel blocks into private accumulators that are summed in a fixed order, so results do not depend on
/// timing.</item>
/// </list>
/// </summary>
internal static unsafe class DirectConvolutionGemm
{
    /// <summary>Most kernel taps (kh·kw) handled: the per-tap masks of a pixel block live on the stack.</summary>
    internal const int MaxTaps = 25;

    private const int Lanes = 16;

    private static readonly GemmBlocking Blocking = GemmBlocking.For<float, Avx512SgemmKernel>();
    private static readonly Vector512<int> LaneIndex = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

    private static int PanelWidth => Avx512SgemmKernel.Columns;

    /// <summary>Whether these arguments have a direct kernel here: float32, one group, a size-keeping stride-1 geometry,
    /// the managed AVX-512 GEMM in use (a chosen BLAS provider keeps the Im2Col lowering), and output planes that fill
    /// the 32-pixel panels well.</summary>
    public static bool Supports(DType dtype, in Conv2dGeometry g, int groups) =>
        dtype == DType.Float32 && groups == 1
        && g.StrideHeight == 1 && g.StrideWidth == 1 && g.DilationHeight == 1 && g.DilationWidth == 1
        && g.OutputHeight == g.Height && g.OutputWidth == g.Width && !g.IsPointwise
        && g.KernelHeight * g.KernelWidth <= MaxTaps
        && (g.OutputPlane % PanelWidth == 0 || g.OutputPlane >= 4 * PanelWidth)
        && ManagedGemm.BestSgemmKernel == SgemmKernelKind.Avx512 && CpuGemm.Provider != GemmProvider.Blas
        && Avx512F.IsSupported;

    /// <summary>y[n] = W · columns(x[n]) for images n; x [images, C, H, W], weight [O, C, kh, kw], y [images, O, H, W].</summary>
    public static void Forward(float* x, float* weight, float* y, in Conv2dGeometry g, int images, int outChannels)
    {
        int depth = g.ColumnRows, plane = (int)g.OutputPlane;
        if (images == 0 || outChannels == 0) return;
        int paddedRows = RoundUp(outChannels, Avx512SgemmKernel.Rows), kc = Blocking.Kc, nc = Blocking.Nc;
        // The weight is the A operand of every block: packed once, depth block by depth block.
        using var packedWeight = GemmScratch<float>.Rent(paddedRows * depth, 0, 0);
        float* packedA = packedWeight.PackedA;
        for (int pc = 0; pc < depth; pc += kc)
            GemmPacking<float, Avx512SgemmKernel>.PackA(false, weight + pc, depth, outChannels, Math.Min(kc, depth - pc), packedA + (nint)paddedRows * pc);

        var taps = new TapShifts(g);
        int blocksPerImage = (plane + nc - 1) / nc, items = images * blocksPerImage;
        long channelsPlane = (long)g.Channels * plane, outputImage = (long)outChannels * plane;
        ForEachShare(items, 2.0 * outChannels * depth * plane * images, (first, last) =>
        {
            using var scratch = GemmScratch<float>.Rent(0, kc * nc, Avx512SgemmKernel.Rows * Avx512SgemmKernel.Columns);
            Vector512<float>* masks = stackalloc Vector512<float>[MaxTaps * ((nc + Lanes - 1) / Lanes + 1)];
            for (int item = first; item < last; item++)
            {
                int n = item / blocksPerImage, q0 = item % blocksPerImage * nc, width = Math.Min(nc, plane - q0);
                float* image = x + n * channelsPlane;
                for (int pc = 0; pc < depth; pc += kc)
                {
                    int kcb = Math.Min(kc, depth - pc);
                    PackShiftedPanels(image, taps, pc, kcb, q0, width, masks, scratch.PackedB);
                    GemmMacroKernel<float, Avx512SgemmKernel>.Multiply(packedA + (nint)paddedRows * pc, scratch.PackedB, outChannels, width, kcb,
                        1f, pc == 0 ? 0f : 1f, y + n * outputImage + q0, plane, scratch.EdgeTile);
                }
            }
        });
    }

    /// <summary>dx = the image gradient of y = conv(x, W) for dy: the forward product of dy with the kernel flipped in
    /// both directions and its channel axes swapped (a size-keeping geometry is its own adjoint's geometry).</summary>
    public static void InputGradient(float* dy, float* weight, float* dx, in Conv2dGeometry g, int images, int outChannels)
    {
        int channels = g.Channels, kh = g.KernelHeight, kw = g.KernelWidth, tapCount = kh * kw;
        float[] flipped = ArrayPool<float>.Shared.Rent(outChannels * channels * tapCount);
        fixed (float* w = flipped)
        {
            for (int o = 0; o < outChannels; o++)
                for (int c = 0; c < channels; c++)
                    for (int t = 0; t < tapCount; t++)
                        w[((long)c * outChannels + o) * tapCount + tapCount - 1 - t] = weight[((long)o * channels + c) * tapCount + t];
            var adjoint = g with { Channels = outChannels, PadHeight = kh - 1 - g.PadHeight, PadWidth = kw - 1 - g.PadWidth };
            Forward(dy, w, dx, adjoint, images, channels);
        }
        ArrayPool<float>.Shared.Return(flipped);
    }

    /// <summary>dW = Σ_n dy[n] · columns(x[n])ᵀ, overwriting dW [O, C, kh, kw].</summary>
    public static void WeightGradient(float* dy, float* x, float* dw, in Conv2dGeometry g, int images, int outChannels)
    {
        int columns = g.ColumnRows, plane = (int)g.OutputPlane;
        long weights = (long)outChannels * columns;
        if (images == 0)
        {
            new Span<float>(dw, (int)weights).Clear();
            return;
        }
        int kc = Blocking.Kc, nc = Blocking.Nc, paddedRows = RoundUp(outChannels, Avx512SgemmKernel.Rows);
        // The sum runs over depth blocks of pixels of every image; each thread takes a contiguous share of them (so even
        // one image splits). Thread 0 accumulates straight into dW, the others into private sums added afterwards in
        // thread order.
        int blocksPerPlane = (plane + kc - 1) / kc, blocks = images * blocksPerPlane;
        int threads = Math.Min(blocks, GemmThreading.ThreadsFor(2.0 * weights * plane * images, GemmThreading.MaxThreads));
        float[][] partials = Enumerable.Range(1, threads - 1).Select(_ => ArrayPool<float>.Shared.Rent((int)weights)).ToArray();
        var taps = new TapShifts(g);
        long channelsPlane = (long)g.Channels * plane, outputImage = (long)outChannels * plane;
        int rowStride = RoundUp(kc, Lanes);
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, thread =>
        {
            float[] rows = ArrayPool<float>.Shared.Rent(PanelWidth * rowStride + Lanes);
            using var scratch = GemmScratch<float>.Rent(paddedRows * kc, kc * nc, Avx512SgemmKernel.Rows * Avx512SgemmKernel.Columns);
            Vector512<float>* masks = stackalloc Vector512<float>[MaxTaps * (rowStride / Lanes)];
            fixed (float* partial = thread == 0 ? Array.Empty<float>() : partials[thread - 1])
            fixed (float* rowBuffer = rows)
            {
                float* sum = thread == 0 ? dw : partial;
                int first = (int)((long)blocks * thread / threads), last = (int)((long)blocks * (thread + 1) / threads);
                for (int block = first; block < last; block++)
                {
                    int n = block / blocksPerPlane, q0 = block % blocksPerPlane * kc, kcb = Math.Min(kc, plane - q0);
                    GemmPacking<float, Avx512SgemmKernel>.PackA(false, dy + n * outputImage + q0, plane, outChannels, kcb, scratch.PackedA);
                    BuildPixelMasks(taps, q0, kcb, (kcb + Lanes - 1) / Lanes, masks);
                    for (int jc = 0; jc < columns; jc += nc)
                    {
                        int width = Math.Min(nc, columns - jc);
                        PackTransposedPanels(x + n * channelsPlane, taps, jc, width, q0, kcb, masks, rowBuffer, rowStride, scratch.PackedB);
                        GemmMacroKernel<float, Avx512SgemmKernel>.Multiply(scratch.PackedA, scratch.PackedB, outChannels, width, kcb,
                            1f, block == first ? 0f : 1f, sum + jc, columns, scratch.EdgeTile);
                    }
                }
            }
            ArrayPool<float>.Shared.Return(rows);
        });
        var total = new Span<float>(dw, (int)weights);
        foreach (float[] partial in partials)
        {
            SimdRows.Add(total, partial.AsSpan(0, (int)weights));
            ArrayPool<float>.Shared.Return(partial);
        }
    }

    /// <summary>The B panels of column-matrix rows [pc, pc + kcb) by output pixels [q0, q0 + width) of one image, in the
    /// micro-kernel's layout (panels of 32 pixels, each kcb rows of 32 values). Row by row: each row reads one contiguous
    /// run of the shifted image, which the hardware prefetcher follows, and scatters it over the panels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackShiftedPanels(float* image, TapShifts taps, int pc, int kcb, int q0, int width, Vector512<float>* masks, float* packed)
    {
        int plane = taps.Plane, tapCount = taps.Count, halves = 2 * ((width + PanelWidth - 1) / PanelWidth);
        BuildPixelMasks(taps, q0, width, halves, masks);
        nint panelStride = (nint)kcb * PanelWidth;
        int channel = pc / tapCount, tap = pc - channel * tapCount;
        for (int r = 0; r < kcb; r++)
        {
            float* source = image + (long)channel * plane + q0 + taps.Shift(tap);
            Vector512<float>* tapMasks = masks + tap * halves;
            float* target = packed + r * PanelWidth;
            for (int half = 0; half < halves; half += 2, target += panelStride, source += PanelWidth)
            {
                Avx512F.MaskLoad(source, tapMasks[half], Vector512<float>.Zero).Store(target);
                Avx512F.MaskLoad(source + Lanes, tapMasks[half + 1], Vector512<float>.Zero).Store(target + Lanes);
            }
            if (++tap == tapCount)
            {
                tap = 0;
                channel++;
            }
        }
    }

    /// <summary>Masks of the pixels [q0, q0 + count) that each tap reads inside the image, 16 pixels per vector, for
    /// <paramref name="chunks"/> vectors per tap (zero past count).</summary>
    private static void BuildPixelMasks(TapShifts taps, int q0, int count, int chunks, Vector512<float>* masks)
    {
        for (int chunk = 0; chunk < chunks; chunk++)
        {
            var pixels = taps.Pixels(q0 + chunk * Lanes, count - chunk * Lanes);
            for (int t = 0; t < taps.Count; t++) masks[t * chunks + chunk] = taps.Mask(t, pixels);
        }
    }

    /// <summary>The B panels of op(B) = columnsᵀ for pixels [q0, q0 + kcb) (depth) by column-matrix rows [jc, jc + width):
    /// each panel's 32 rows are gathered from the shifted image into <paramref name="rows"/> and transposed into place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackTransposedPanels(float* image, TapShifts taps, int jc, int width, int q0, int kcb, Vector512<float>* masks,
                                             float* rows, int rowStride, float* packed)
    {
        int plane = taps.Plane, tapCount = taps.Count, chunks = (kcb + Lanes - 1) / Lanes;
        for (int start = 0; start < width; start += PanelWidth, packed += (nint)kcb * PanelWidth)
        {
            int count = Math.Min(PanelWidth, width - start), row = jc + start;
            int channel = row / tapCount, tap = row - channel * tapCount;
            for (int l = 0; l < PanelWidth; l++)
            {
                float* target = rows + l * rowStride;
                if (l >= count)
                {
                    new Span<float>(target, chunks * Lanes).Clear();
                    continue;
                }
                float* source = image + (long)channel * plane + q0 + taps.Shift(tap);
                Vector512<float>* tapMasks = masks + tap * chunks;
                for (int chunk = 0; chunk < chunks; chunk++)
                    Avx512F.MaskLoad(source + chunk * Lanes, tapMasks[chunk], Vector512<float>.Zero).Store(target + chunk * Lanes);
                if (++tap == tapCount)
                {
                    tap = 0;
                    channel++;
                }
            }
            AvxPanelTranspose.Pack(rows, rowStride, kcb, PanelWidth, packed);
        }
    }

    /// <summary>Splits <paramref name="items"/> into one contiguous share per thread (on this thread when the work is small).</summary>
    private static void ForEachShare(int items, double flops, Action<int, int> body)
    {
        int threads = Math.Min(items, GemmThreading.ThreadsFor(flops, GemmThreading.MaxThreads));
        if (threads <= 1)
        {
            body(0, items);
            return;
        }
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads },
            thread => body((int)((long)items * thread / threads), (int)((long)items * (thread + 1) / threads)));
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>Where each tap of a size-keeping stride-1 kernel reads: output pixel (oh, ow) of tap t reads input pixel
    /// (oh + RowShift[t], ow + ColumnShift[t]), i.e. flat index q + Shift(t), when that lies inside the image.</summary>
    private sealed class TapShifts
    {
        private readonly int[] rowShift, columnShift;

        public TapShifts(in Conv2dGeometry g)
        {
            (Height, Width, Count) = (g.Height, g.Width, g.KernelHeight * g.KernelWidth);
            Plane = Height * Width;
            rowShift = new int[Count];
            columnShift = new int[Count];
            for (int t = 0; t < Count; t++)
            {
                rowShift[t] = t / g.KernelWidth - g.PadHeight;
                columnShift[t] = t % g.KernelWidth - g.PadWidth;
            }
        }

        public int Height { get; }
        public int Width { get; }
        public int Plane { get; }
        public int Count { get; }

        public int Shift(int tap) => rowShift[tap] * Width + columnShift[tap];

        /// <summary>Row, column and existence (lane &lt; lanes) of the pixels q, q + 1, ..., q + 15.</summary>
        public PixelLanes Pixels(int q, int lanes)
        {
            var row = Vector512.Create(q / Width);
            var column = Vector512.Create(q % Width) + LaneIndex;
            var width = Vector512.Create(Width);
            // Lanes past the end of a row continue on the next ones (several for rows narrower than 16).
            for (var wrapped = Vector512.GreaterThanOrEqual(column, width); wrapped != Vector512<int>.Zero; wrapped = Vector512.GreaterThanOrEqual(column, width))
            {
                column -= wrapped & width;
                row -= wrapped;
            }
            return new PixelLanes(row, column, Vector512.LessThan(LaneIndex, Vector512.Create(lanes)));
        }

        /// <summary>All-ones lanes for the pixels whose tap source lies inside the image.</summary>
        public Vector512<float> Mask(int tap, in PixelLanes pixels) =>
            (pixels.Exists
                & Vector512.LessThan((pixels.Row + Vector512.Create(rowShift[tap])).AsUInt32(), Vector512.Create((uint)Height)).AsInt32()
                & Vector512.LessThan((pixels.Column + Vector512.Create(columnShift[tap])).AsUInt32(), Vector512.Create((uint)Width)).AsInt32()).AsSingle();
    }

    /// <summary>Sixteen consecutive output pixels: their rows and columns, and all-ones where the pixel exists.</summary>
    private readonly record struct PixelLanes(Vector512<int> Row, Vector512<int> Column, Vector512<int> Exists);
}

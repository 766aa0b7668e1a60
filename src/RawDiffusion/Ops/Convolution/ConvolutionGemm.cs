using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>Convolution lowered to GEMM through im2col, on contiguous tensors, for any backend.
/// Shapes: x [N, C, H, W], weight [O, C/G, kh, kw] (a [O, K] matrix, K = C/G·kh·kw per group), y [N, O, Ho, Wo],
/// P = Ho·Wo. Images are processed in runs whose column matrix ([C·kh·kw, run, P], see <see cref="IBackend.Im2Col"/>)
/// stays within <see cref="ColumnBudget"/> elements; one column buffer is allocated per call and reused by every run.
/// <list type="bullet">
/// <item>forward: Y[group] = W[group] · columns[group] as ONE product per run (batched over groups) with n = run·P, so
/// the weight is packed once per run rather than once per image; the [O, run, P] result is permuted into y;</item>
/// <item>weight gradient: dW[group] += dY[group] · columns[group]ᵀ, one product per run with inner dimension run·P
/// (dY is first permuted to [O, run, P]);</item>
/// <item>input gradient: dcolumns[group] = W[group]ᵀ · dY[group], also one product per run, then col2im.</item>
/// </list>
/// The permutes copy O·run·P elements, a fraction O / (C·kh·kw) of the column traffic, and vanish for runs of one image.
/// A pointwise convolution (1x1, stride 1, no padding) skips im2col: its column matrix is the image itself, so the
/// products are strided-batched over images straight from x and into y. Other convolutions first offer each product to
/// the backend's direct kernels (<see cref="IBackend.TryConvolutionForward"/> and its siblings), which build the column
/// matrix piece by piece inside the product; only what the backend declines is lowered through im2col here.</summary>
internal static class ConvolutionGemm
{
    /// <summary>Column-buffer size per call in elements (16 MiB of float32), at least one image.</summary>
    internal const long ColumnBudget = 1 << 22;

    /// <summary>Images per run of the im2col path.</summary>
    internal static int RunLength(in Conv2dGeometry g, int images) =>
        (int)Math.Clamp(ColumnBudget / Math.Max(1, g.ColumnRows * g.OutputPlane), 1, Math.Max(1, images));

    /// <summary>y = conv(x, weight) without bias; y is a contiguous [N, O, Ho, Wo] tensor that is fully overwritten.</summary>
    public static void Forward(Tensor x, Tensor weight, Tensor y, in Conv2dGeometry g, int groups)
    {
        int images = x.Shape[0], outChannels = weight.Shape[0], og = outChannels / groups, k = (int)(weight.Numel / outChannels);
        if (y.Numel == 0) return;
        var backend = x.Backend;
        int plane = (int)g.OutputPlane;
        long yImage = (long)outChannels * plane, xImage = g.Channels * g.InputPlane;
        var (w, wo, yb, yo) = (weight.Storage.Buffer, weight.Offset, y.Storage.Buffer, y.Offset);
        if (g.IsPointwise)
        {
            // y[n, group] = W[group] · x[n, group], batched over images straight from x (or over groups when they outnumber images).
            if (images >= groups)
                for (int grp = 0; grp < groups; grp++)
                    backend.Gemm(false, false, og, plane, k, 1, w, wo + (long)grp * og * k, k, 0,
                        x.Storage.Buffer, x.Offset + (long)grp * k * plane, plane, xImage, 0, yb, yo + (long)grp * og * plane, plane, yImage, images);
            else
                for (int n = 0; n < images; n++)
                    backend.Gemm(false, false, og, plane, k, 1, w, wo, k, (long)og * k,
                        x.Storage.Buffer, x.Offset + n * xImage, plane, (long)k * plane, 0, yb, yo + n * yImage, plane, (long)og * plane, groups);
            return;
        }
        if (backend.TryConvolutionForward(x.Storage.Buffer, x.Offset, w, wo, yb, yo, g, images, outChannels, groups)) return;
        int run = RunLength(g, images);
        using var columns = ColumnBuffer(g, run, x);
        using var staging = run > 1 ? Tensor.Empty([outChannels * run * plane], x.DType, backend) : null;
        for (int n0 = 0; n0 < images; n0 += run)
        {
            int count = Math.Min(run, images - n0), ld = count * plane;
            backend.Im2Col(x.Storage.Buffer, x.Offset + n0 * xImage, columns.Storage.Buffer, 0, g, count);
            // One product per group for the whole run: [Og, K] x [K, count·P] -> [Og, count·P]. A single image lands in y
            // directly; a longer run lands in [O, count, P] order and is permuted into y's [count, O, P].
            var (target, targetOffset) = count == 1 ? (yb, yo + n0 * yImage) : (staging!.Storage.Buffer, 0L);
            backend.Gemm(false, false, og, ld, k, 1, w, wo, k, (long)og * k,
                columns.Storage.Buffer, 0, ld, (long)k * ld, 0, target, targetOffset, ld, (long)og * ld, groups);
            if (count > 1)
                backend.Unary(UnaryOp.Copy, StridedView.Contiguous(target, 0, [outChannels, count, plane]),
                    new StridedView(yb, yo + n0 * yImage, [outChannels, count, plane], [plane, yImage, 1]));
        }
    }

    /// <summary>Input and/or weight gradients (each null when not wanted) of y = conv(x, weight) for the contiguous
    /// output gradient <paramref name="gradY"/>; both are contiguous and fully overwritten.</summary>
    public static void Backward(Tensor gradY, Tensor x, Tensor weight, Tensor? gradX, Tensor? gradW, in Conv2dGeometry g, int groups)
    {
        int images = x.Shape[0], outChannels = weight.Shape[0], og = outChannels / groups, k = (int)(weight.Numel / outChannels);
        int plane = (int)g.OutputPlane;
        var backend = x.Backend;
        if (gradY.Numel == 0 || k == 0)
        {
            gradX?.Fill(0);
            gradW?.Fill(0);
            return;
        }
        var (w, wo) = (weight.Storage.Buffer, weight.Offset);
        var (dy, dyo) = (gradY.Storage.Buffer, gradY.Offset);
        var (dx, dxo) = (gradX?.Storage.Buffer, gradX?.Offset ?? 0);
        var (dw, dwo) = (gradW?.Storage.Buffer, gradW?.Offset ?? 0);
        long yImage = (long)outChannels * plane, xImage = g.Channels * g.InputPlane;
        if (g.IsPointwise)
        {
            if (gradX != null)
            {
                // dX[n, group] = W[group]ᵀ · dY[n, group], straight into dX.
                if (images >= groups)
                    for (int grp = 0; grp < groups; grp++)
                        backend.Gemm(true, false, k, plane, og, 1, w, wo + (long)grp * og * k, k, 0, dy, dyo + (long)grp * og * plane, plane, yImage,
                            0, dx!, dxo + (long)grp * k * plane, plane, xImage, images);
                else
                    for (int n = 0; n < images; n++)
                        backend.Gemm(true, false, k, plane, og, 1, w, wo, k, (long)og * k, dy, dyo + n * yImage, plane, (long)og * plane,
                            0, dx!, dxo + n * xImage, plane, (long)k * plane, groups);
            }
            if (gradW != null)
            {
                // dW[group] = Σ_n dY[n, group] · X[n, group]ᵀ, accumulated image by image (beta = 1 after the first).
                for (int n = 0; n < images; n++)
                    backend.Gemm(false, true, og, k, plane, 1, dy, dyo + n * yImage, plane, (long)og * plane,
                        x.Storage.Buffer, x.Offset + n * xImage, plane, (long)k * plane, n == 0 ? 0 : 1, dw!, dwo, k, (long)og * k, groups);
            }
            return;
        }

        // A backend's direct kernels, where it has them, replace the lowering below.
        if (gradX != null && backend.TryConvolutionInputGradient(dy, dyo, w, wo, dx!, dxo, g, images, outChannels, groups)) gradX = null;
        if (gradW != null && backend.TryConvolutionWeightGradient(dy, dyo, x.Storage.Buffer, x.Offset, dw!, dwo, g, images, outChannels, groups)) gradW = null;
        if (gradX == null && gradW == null) return;
        int run = RunLength(g, images);
        using var columns = ColumnBuffer(g, run, x);
        using var rearranged = run > 1 ? Tensor.Empty([outChannels * run * plane], x.DType, backend) : null;
        for (int n0 = 0; n0 < images; n0 += run)
        {
            int count = Math.Min(run, images - n0), ld = count * plane;
            // dY of the run as [O, count, P] so that each group's rows form one [Og, count·P] matrix with leading dimension ld.
            var (a, ao) = (dy, dyo + n0 * yImage);
            if (count > 1)
            {
                var source = new StridedView(dy, ao, [outChannels, count, plane], [plane, yImage, 1]);
                backend.Unary(UnaryOp.Copy, source, StridedView.Contiguous(rearranged!.Storage.Buffer, 0, [outChannels, count, plane]));
                (a, ao) = (rearranged.Storage.Buffer, 0);
            }
            if (gradW != null)
            {
                backend.Im2Col(x.Storage.Buffer, x.Offset + n0 * xImage, columns.Storage.Buffer, 0, g, count);
                backend.Gemm(false, true, og, k, ld, 1, a, ao, ld, (long)og * ld, columns.Storage.Buffer, 0, ld, (long)k * ld,
                    n0 == 0 ? 0 : 1, dw!, dwo, k, (long)og * k, groups);
            }
            if (gradX != null)
            {
                backend.Gemm(true, false, k, ld, og, 1, w, wo, k, (long)og * k, a, ao, ld, (long)og * ld,
                    0, columns.Storage.Buffer, 0, ld, (long)k * ld, groups);
                backend.Col2Im(columns.Storage.Buffer, 0, dx!, dxo + n0 * xImage, g, count);
            }
        }
    }

    static Tensor ColumnBuffer(in Conv2dGeometry g, int run, Tensor x)
    {
        long elements = g.ColumnRows * g.OutputPlane * run;
        if (elements > int.MaxValue)
            throw new ArgumentException($"convolution of {g.Channels}x{g.Height}x{g.Width} images with a {g.KernelHeight}x{g.KernelWidth} kernel needs a column matrix of {elements} elements per image, more than one buffer holds");
        return Tensor.Empty([(int)elements], x.DType, x.Backend);
    }
}

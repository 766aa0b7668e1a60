using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>2-D convolution (1-D as height 1) with optional bias, lowered to GEMM by <see cref="ConvolutionGemm"/>.
/// Input and weight are kept (contiguous) for the backward pass, which recomputes the column matrix instead of
/// storing it. dBias is dY summed over images and pixels.</summary>
internal sealed class ConvolutionFunction : Function
{
    Tensor input = null!, weight = null!;
    Conv2dGeometry geometry;
    int groups;

    /// <param name="x">[N, C, H, W] or, for 1-D, [N, C, L] with geometry height 1.</param>
    /// <param name="w">[O, C/groups, kh, kw] or [O, C/groups, k].</param>
    /// <param name="outputShape">[N, O, Ho, Wo] or [N, O, Lo].</param>
    public static Tensor Apply(Tensor x, Tensor w, Tensor? bias, in Conv2dGeometry geometry, int groups, int[] outputShape)
    {
        var xc = x.IsContiguous ? x : Kernels.Copy(x);
        var wc = w.IsContiguous ? w : Kernels.Copy(w);
        var y = Tensor.Empty(outputShape, x.DType, x.Backend);
        ConvolutionGemm.Forward(xc, wc, y, geometry, groups);
        if (bias != null && y.Numel > 0)
        {
            // The bias as [O, 1, ...] (stride 0 over the pixels) broadcasts over images and pixels in one pass.
            var perChannel = new int[outputShape.Length - 1];
            Array.Fill(perChannel, 1);
            perChannel[0] = outputShape[1];
            var strides = new long[perChannel.Length];
            strides[0] = bias.Strides[0];
            using var broadcastBias = bias.StridedAs(perChannel, strides, bias.Offset);
            Kernels.BinaryInPlace(BinaryOp.Add, y, broadcastBias);
        }
        var fn = new ConvolutionFunction { input = xc, weight = wc, geometry = geometry, groups = groups };
        if (bias == null) fn.Connect(y, x, w);
        else fn.Connect(y, x, w, bias);
        if (y.GradFn == null)
        {
            // No backward will read the contiguous copies made for the kernels.
            if (!ReferenceEquals(xc, x)) xc.Dispose();
            if (!ReferenceEquals(wc, w)) wc.Dispose();
        }
        return y;
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        using var gc = new ContiguousLease(g);
        var gradX = NeedsGrad(0) ? input.EmptyLike() : null;
        var gradW = NeedsGrad(1) ? weight.EmptyLike() : null;
        if (gradX != null || gradW != null) ConvolutionGemm.Backward(gc.Tensor, input, weight, gradX, gradW, geometry, groups);
        Tensor? gradB = null;
        if (NeedsGrad(2))
        {
            int images = g.Shape[0], channels = g.Shape[1];
            using var rows = gc.Tensor.ViewAs([images, channels, (int)(g.Numel / Math.Max(1L, (long)images * channels))]);
            gradB = Kernels.Reduce(ReduceOp.Sum, rows, [0, 2], keepDim: false);
        }
        return [gradX, gradW, gradB];
    }
}

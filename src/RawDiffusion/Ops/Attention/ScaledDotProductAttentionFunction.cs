using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>softmax(q·kᵀ·scale + mask)·v over the last two dimensions, batch dimensions broadcast. The products read
/// k and the probabilities transposed in place through the GEMM flags; the scale is folded into the one copy of q.
/// Backward, with P the saved probabilities and S the pre-softmax scores:
/// dv = Pᵀ·g, dP = g·vᵀ, dS = P ⊙ (dP − Σ dP·P) (the softmax row primitive), dq = scale·dS·k, dk = dSᵀ·(scale·q),
/// dmask = dS (summed to the mask's shape).</summary>
internal sealed class ScaledDotProductAttentionFunction : Function
{
    Tensor scaledQ = null!, k = null!, v = null!, probabilities = null!;
    double scale;
    int[] qShape = [], kShape = [], vShape = [], maskShape = [];

    public static Tensor Apply(Tensor q, Tensor k, Tensor v, Tensor? mask, double? scale)
    {
        const string op = "scaled_dot_product_attention";
        Kernels.RequireFloating(q, op);
        foreach (var (t, name) in new[] { (k, nameof(k)), (v, nameof(v)), (mask, nameof(mask)) })
            if (t != null && (t.DType != q.DType || !ReferenceEquals(t.Backend, q.Backend)))
                throw new ArgumentException($"{op}: {name} is {t.DType} on {t.Backend.Name}, q is {q.DType} on {q.Backend.Name}", name);
        if (q.Rank < 2 || k.Rank < 2 || v.Rank < 2 || q.Shape[^1] != k.Shape[^1] || k.Shape[^2] != v.Shape[^2])
            throw new ArgumentException($"{op}: expected q [..., Lq, D], k [..., Lk, D], v [..., Lk, Dv], got q {ShapeMath.Format(q.Shape)}, " +
                $"k {ShapeMath.Format(k.Shape)}, v {ShapeMath.Format(v.Shape)}");
        int lq = q.Shape[^2], lk = k.Shape[^2];
        var batch = ShapeMath.Broadcast(ShapeMath.Broadcast(q.Shape[..^2], k.Shape[..^2]), v.Shape[..^2]);
        int[] scoreShape = [.. batch, lq, lk];
        if (mask != null && !ShapeMath.SameShape(ShapeMath.Broadcast(scoreShape, mask.Shape), scoreShape))
            throw new ArgumentException($"{op}: mask {ShapeMath.Format(mask.Shape)} does not broadcast to the scores {ShapeMath.Format(scoreShape)}", nameof(mask));
        double s = scale ?? 1 / Math.Sqrt(q.Shape[^1]);

        var scaledQ = Kernels.Unary(UnaryOp.MulScalar, q, s);
        var kd = AxisRows.Dense(k);
        var vd = AxisRows.Dense(v);
        var scores = Kernels.MatMul(scaledQ, kd, transB: true);
        if (!ShapeMath.SameShape(scores.Shape, scoreShape))
        {
            // v's batch dimensions widen the scores' batch: expand them before the softmax.
            var expanded = Tensor.Empty(scoreShape, q.DType, q.Backend);
            Kernels.CopyInto(scores, expanded);
            scores.Dispose();
            scores = expanded;
        }
        if (mask != null) Kernels.BinaryInPlace(BinaryOp.Add, scores, mask);
        if (scores.Numel > 0) q.Backend.SoftmaxRows(scores.Storage.Buffer, 0, scores.Storage.Buffer, 0, (int)(scores.Numel / lk), lk, log: false);
        var output = Kernels.MatMul(scores, vd);

        var fn = new ScaledDotProductAttentionFunction
        {
            scaledQ = scaledQ, k = kd, v = vd, probabilities = scores, scale = s,
            qShape = q.ShapeArray, kShape = k.ShapeArray, vShape = v.ShapeArray, maskShape = mask?.ShapeArray ?? [],
        };
        return mask == null ? fn.Connect(output, q, k, v) : fn.Connect(output, q, k, v, mask);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var gd = AxisRows.Dense(g);
        Tensor? dq = null, dk = null, dv = null, dmask = null;
        if (NeedsGrad(2)) dv = Kernels.SumToShape(Kernels.MatMul(probabilities, gd, transA: true), vShape);
        if (NeedsGrad(0) || NeedsGrad(1) || NeedsGrad(3))
        {
            var dScores = Kernels.MatMul(gd, v, transB: true);
            int lk = dScores.Shape[^1];
            if (dScores.Numel > 0)
                g.Backend.SoftmaxBackwardRows(probabilities.Storage.Buffer, 0, dScores.Storage.Buffer, 0, dScores.Storage.Buffer, 0,
                    (int)(dScores.Numel / lk), lk, log: false);
            if (NeedsGrad(0))
            {
                var product = Kernels.MatMul(dScores, k);
                g.Backend.Unary(UnaryOp.MulScalar, product.View, product.View, scale);
                dq = Kernels.SumToShape(product, qShape);
            }
            if (NeedsGrad(1)) dk = Kernels.SumToShape(Kernels.MatMul(dScores, scaledQ, transA: true), kShape);
            if (NeedsGrad(3)) dmask = Kernels.SumToShape(dScores, maskShape);
        }
        return Inputs.Length == 4 ? [dq, dk, dv, dmask] : [dq, dk, dv];
    }
}

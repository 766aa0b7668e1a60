using RawDiffusion.Ops;

namespace RawDiffusion;

public static partial class F
{
    /// <summary>softmax(q·kᵀ·scale + mask)·v, as torch.nn.functional.scaled_dot_product_attention:
    /// <paramref name="q"/> [..., Lq, D], <paramref name="k"/> [..., Lk, D], <paramref name="v"/> [..., Lk, Dv]
    /// (typically [B, H, L, D]; batch dimensions broadcast) → [..., Lq, Dv]. <paramref name="mask"/> is additive
    /// (0 to keep, −∞ or a large negative number to block) and broadcasts to [..., Lq, Lk]; a row blocked entirely
    /// gives NaN as in PyTorch. <paramref name="scale"/> defaults to 1/√D.</summary>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor? mask = null, double? scale = null) =>
        ScaledDotProductAttentionFunction.Apply(q, k, v, mask, scale);

    /// <summary>Multi-head attention of <paramref name="x"/> [B, L, E] over <paramref name="context"/> [B, Lk, Ec]
    /// (self-attention when null): q = x·Wqᵀ + bq, k = context·Wkᵀ + bk, v = context·Wvᵀ + bv, each split into
    /// <paramref name="heads"/> heads, <see cref="ScaledDotProductAttention"/> per head, heads concatenated, then
    /// ·Woᵀ + bo. Weights: <paramref name="wq"/> [I, E], <paramref name="wk"/> [I, Ec], <paramref name="wv"/> [Iv, Ec],
    /// <paramref name="wo"/> [Eout, Iv] with I and Iv divisible by heads. <paramref name="mask"/> broadcasts to [B, heads, L, Lk].</summary>
    public static Tensor MultiHeadAttention(Tensor x, Tensor? context, Tensor wq, Tensor wk, Tensor wv, Tensor wo, int heads,
                                            Tensor? bq = null, Tensor? bk = null, Tensor? bv = null, Tensor? bo = null, Tensor? mask = null)
    {
        const string op = "multi_head_attention";
        var source = context ?? x;
        if (x.Rank != 3 || source.Rank != 3 || source.Shape[0] != x.Shape[0])
            throw new ArgumentException($"{op}: expected x [B, L, E] and context [B, Lk, Ec], got x {ShapeMath.Format(x.Shape)}" +
                (context == null ? "" : $" and context {ShapeMath.Format(context.Shape)}"), context == null ? nameof(x) : nameof(context));
        if (heads <= 0 || wq.Rank != 2 || wv.Rank != 2 || wq.Shape[0] % heads != 0 || wv.Shape[0] % heads != 0)
            throw new ArgumentException($"{op}: {heads} heads do not divide the projections wq {ShapeMath.Format(wq.Shape)} and wv {ShapeMath.Format(wv.Shape)}", nameof(heads));
        int batch = x.Shape[0], length = x.Shape[1], sourceLength = source.Shape[1];
        var q = AttentionHeads.Split(Linear(x, wq, bq), batch, length, heads);
        var k = AttentionHeads.Split(Linear(source, wk, bk), batch, sourceLength, heads);
        var v = AttentionHeads.Split(Linear(source, wv, bv), batch, sourceLength, heads);
        var attended = ScaledDotProductAttention(q, k, v, mask);
        var merged = attended.Permute(0, 2, 1, 3).Reshape(batch, length, wv.Shape[0]);
        return Linear(merged, wo, bo);
    }
}

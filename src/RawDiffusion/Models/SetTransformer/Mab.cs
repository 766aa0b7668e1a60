using RawDiffusion.Backends;
using RawDiffusion.Nn;

namespace RawDiffusion.Models;

/// <summary>Multihead Attention Block of the Set Transformer (Lee et al. 2019, official code):
/// H = LN(Q' + Attention(Q', K', V')) with Q' = fc_q(Q), then O = LN(H + ReLU(fc_o(H))). As in the official code the
/// attention logits are scaled by 1/sqrt(dimV) (the full width, not per head).</summary>
public sealed class Mab : Module
{
    readonly int heads;

    public Mab(int dimQ, int dimK, int dimV, int heads, bool layerNorm = true, Generator? generator = null)
    {
        if (heads <= 0 || dimV % heads != 0) throw new ArgumentException($"MAB: {heads} heads do not divide width {dimV}", nameof(heads));
        this.heads = heads;
        DimV = dimV;
        Query = RegisterModule("fc_q", new Linear(dimQ, dimV, generator: generator));
        Key = RegisterModule("fc_k", new Linear(dimK, dimV, generator: generator));
        Value = RegisterModule("fc_v", new Linear(dimK, dimV, generator: generator));
        Output = RegisterModule("fc_o", new Linear(dimV, dimV, generator: generator));
        if (layerNorm)
        {
            Norm0 = RegisterModule("ln0", new LayerNorm(dimV));
            Norm1 = RegisterModule("ln1", new LayerNorm(dimV));
        }
    }

    public int DimV { get; }
    public Linear Query { get; }
    public Linear Key { get; }
    public Linear Value { get; }
    public Linear Output { get; }
    public LayerNorm? Norm0 { get; }
    public LayerNorm? Norm1 { get; }

    /// <param name="q">[B, Nq, dimQ]</param>
    /// <param name="k">[B, Nk, dimK]</param>
    /// <returns>[B, Nq, dimV]</returns>
    public Tensor Forward(Tensor q, Tensor k)
    {
        int b = q.Shape[0], nq = q.Shape[1], nk = k.Shape[1], d = DimV / heads;
        var qp = Query.Forward(q);
        Tensor Heads(Tensor t, int n) => t.Reshape(b, n, heads, d).Permute(0, 2, 1, 3);
        var attended = F.ScaledDotProductAttention(Heads(qp, nq), Heads(Key.Forward(k), nk), Heads(Value.Forward(k), nk), scale: 1 / Math.Sqrt(DimV));
        var h = qp + attended.Permute(0, 2, 1, 3).Reshape(b, nq, DimV);
        if (Norm0 != null) h = Norm0.Forward(h);
        h = h + Output.Forward(h, UnaryOp.Relu);
        return Norm1 != null ? Norm1.Forward(h) : h;
    }
}

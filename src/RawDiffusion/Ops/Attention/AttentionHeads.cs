namespace RawDiffusion.Ops;

internal static class AttentionHeads
{
    /// <summary>[B, L, H·d] → [B, H, L, d] (a view).</summary>
    public static Tensor Split(Tensor t, int batch, int length, int heads) =>
        t.Reshape(batch, length, heads, t.Shape[^1] / heads).Permute(0, 2, 1, 3);
}

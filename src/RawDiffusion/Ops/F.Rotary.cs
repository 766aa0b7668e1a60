namespace RawDiffusion;

public static partial class F
{
    /// <summary>Rotary position embedding (Su et al. 2021) in Hugging Face Llama's layout: the head dimension is split
    /// in halves (x₁, x₂) and y = x·cos + rotate_half(x)·sin with rotate_half(x) = (−x₂, x₁), so pair (i, i + D/2)
    /// is rotated by the angle of position p and frequency i. <paramref name="x"/> [..., L, D];
    /// <paramref name="cos"/> and <paramref name="sin"/> [L, D] (from <see cref="Models.Language.RotaryEmbedding"/>).</summary>
    public static Tensor Rotary(Tensor x, Tensor cos, Tensor sin)
    {
        if (x.Rank < 2 || x.Shape[^1] % 2 != 0 || cos.Rank != 2 || !ShapeMath.SameShape(cos.Shape, sin.Shape)
            || cos.Shape[0] != x.Shape[^2] || cos.Shape[1] != x.Shape[^1])
            throw new ArgumentException($"rotary: x {ShapeMath.Format(x.Shape)} needs [..., L, D] with D even and cos/sin [L, D], got cos {ShapeMath.Format(cos.Shape)} and sin {ShapeMath.Format(sin.Shape)}", nameof(x));
        return x * cos + RotateHalf(x) * sin;
    }

    /// <summary>(x₁, x₂) → (−x₂, x₁) over the halves of the last dimension.</summary>
    public static Tensor RotateHalf(Tensor x)
    {
        int half = x.Shape[^1] / 2, axis = x.Rank - 1;
        return Tensor.Concat([-x.Slice(axis, half, half), x.Slice(axis, 0, half)], axis);
    }
}

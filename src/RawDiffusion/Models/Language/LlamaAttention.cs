using RawDiffusion.Nn;

namespace RawDiffusion.Models.Language;

/// <summary>Causal multi-head self-attention with rotary positions (LlamaAttention): q_proj, k_proj, v_proj and
/// o_proj without biases; each query attends to itself and earlier positions only.</summary>
public sealed class LlamaAttention : Module
{
    public LlamaAttention(LlamaConfig config, Generator? generator = null)
    {
        Heads = config.NumAttentionHeads;
        HeadDim = config.HeadDim;
        int e = config.HiddenSize;
        QProj = RegisterModule("q_proj", LlamaInit.Linear(e, e, config, generator));
        KProj = RegisterModule("k_proj", LlamaInit.Linear(e, e, config, generator));
        VProj = RegisterModule("v_proj", LlamaInit.Linear(e, e, config, generator));
        OProj = RegisterModule("o_proj", LlamaInit.Linear(e, e, config, generator));
    }

    public int Heads { get; }
    public int HeadDim { get; }
    public Linear QProj { get; }
    public Linear KProj { get; }
    public Linear VProj { get; }
    public Linear OProj { get; }

    /// <summary><paramref name="x"/> [B, L, E] → [B, L, E].</summary>
    public Tensor Forward(Tensor x, RotaryEmbedding rotary)
    {
        int b = x.Shape[0], length = x.Shape[1];
        Tensor SplitHeads(Tensor t) => t.Reshape(b, length, Heads, HeadDim).Permute(0, 2, 1, 3);
        var q = rotary.Apply(SplitHeads(QProj.Forward(x)));
        var k = rotary.Apply(SplitHeads(KProj.Forward(x)));
        var v = SplitHeads(VProj.Forward(x));
        var attended = F.ScaledDotProductAttention(q, k, v, CausalMask(length, x.DType, x.Backend));
        return OProj.Forward(attended.Permute(0, 2, 1, 3).Reshape(b, length, Heads * HeadDim));
    }

    /// <summary>The additive mask [L, L]: 0 where key j ≤ query i, −∞ where j > i (a future position).</summary>
    public static Tensor CausalMask(int length, DType dtype, Backends.IBackend backend)
    {
        var values = new double[length * length];
        for (int i = 0; i < length; i++)
            for (int j = i + 1; j < length; j++) values[i * length + j] = double.NegativeInfinity;
        return dtype == DType.Float64
            ? Tensor.FromSpan<double>(values, [length, length], DType.Float64, backend)
            : Tensor.FromSpan<float>(Array.ConvertAll(values, v => (float)v), [length, length], DType.Float32, backend);
    }
}

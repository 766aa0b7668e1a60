using RawDiffusion.Nn;

namespace RawDiffusion.Models.Language;

/// <summary>One pre-norm block (LlamaDecoderLayer): h = x + attn(norm₁(x)); y = h + mlp(norm₂(h)).</summary>
public sealed class LlamaDecoderLayer : Module
{
    public LlamaDecoderLayer(LlamaConfig config, Generator? generator = null)
    {
        SelfAttention = RegisterModule("self_attn", new LlamaAttention(config, generator));
        Mlp = RegisterModule("mlp", new LlamaMlp(config, generator));
        InputLayerNorm = RegisterModule("input_layernorm", new RmsNorm(config.HiddenSize, config.RmsNormEps));
        PostAttentionLayerNorm = RegisterModule("post_attention_layernorm", new RmsNorm(config.HiddenSize, config.RmsNormEps));
    }

    public LlamaAttention SelfAttention { get; }
    public LlamaMlp Mlp { get; }
    public RmsNorm InputLayerNorm { get; }
    public RmsNorm PostAttentionLayerNorm { get; }

    public Tensor Forward(Tensor x, RotaryEmbedding rotary)
    {
        var h = x + SelfAttention.Forward(InputLayerNorm.Forward(x), rotary);
        return h + Mlp.Forward(PostAttentionLayerNorm.Forward(h));
    }
}

using RawDiffusion.Nn;

namespace RawDiffusion.Models.Language;

/// <summary>A decoder-only transformer language model with Llama's parts and Hugging Face's state-dict names:
/// <c>model.embed_tokens</c>, <c>model.layers.{i}.self_attn.{q,k,v,o}_proj</c>, <c>model.layers.{i}.mlp.{gate,up,down}_proj</c>,
/// <c>model.layers.{i}.input_layernorm</c>, <c>model.layers.{i}.post_attention_layernorm</c>, <c>model.norm</c>,
/// <c>lm_head</c>. Forward: token ids [B, L] (Int32) → logits [B, L, vocab].</summary>
public sealed class LlamaForCausalLM : Module
{
    public LlamaForCausalLM(LlamaConfig config, Generator? generator = null)
    {
        Config = config.Validate();
        EmbedTokens = RegisterModule("model.embed_tokens", new Embedding(config.VocabSize, config.HiddenSize, generator));
        Init.Normal(EmbedTokens.Weight, 0, config.InitializerRange, generator);
        var layers = new LlamaDecoderLayer[config.NumHiddenLayers];
        for (int i = 0; i < layers.Length; i++) layers[i] = RegisterModule($"model.layers.{i}", new LlamaDecoderLayer(config, generator));
        Layers = layers;
        Norm = RegisterModule("model.norm", new RmsNorm(config.HiddenSize, config.RmsNormEps));
        LmHead = RegisterModule("lm_head", LlamaInit.Linear(config.HiddenSize, config.VocabSize, config, generator));
        Rotary = new RotaryEmbedding(config.HeadDim, config.MaxPositionEmbeddings, config.RopeTheta);
    }

    public LlamaConfig Config { get; }
    public Embedding EmbedTokens { get; }
    public IReadOnlyList<LlamaDecoderLayer> Layers { get; }
    public RmsNorm Norm { get; }
    public Linear LmHead { get; }
    public RotaryEmbedding Rotary { get; }

    public Tensor Forward(Tensor tokens)
    {
        if (tokens.Rank != 2 || tokens.DType != DType.Int32)
            throw new ArgumentException($"LlamaForCausalLM: expected Int32 token ids [B, L], got {tokens.DType} {ShapeMath.Format(tokens.Shape)}", nameof(tokens));
        var h = EmbedTokens.Forward(tokens);
        foreach (var layer in Layers) h = layer.Forward(h, Rotary);
        return LmHead.Forward(Norm.Forward(h));
    }

    /// <summary>Mean next-token cross-entropy (nats) of <paramref name="tokens"/> [B, L+1]: positions 0..L−1 predict 1..L.</summary>
    public Tensor NextTokenLoss(Tensor tokens)
    {
        int b = tokens.Shape[0], length = tokens.Shape[1] - 1;
        var logits = Forward(tokens.Slice(1, 0, length).Contiguous());
        var targets = tokens.Slice(1, 1, length).Contiguous().Reshape(b * length);
        return F.CrossEntropy(logits.Reshape(b * length, Config.VocabSize), targets);
    }
}

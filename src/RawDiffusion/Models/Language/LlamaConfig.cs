using System.Text.Json;
using System.Text.Json.Nodes;

namespace RawDiffusion.Models.Language;

/// <summary>The fields of Hugging Face's LlamaConfig that define the network, written to and read from a
/// <c>config.json</c> beside the weights so <c>LlamaForCausalLM.from_pretrained</c> (or our loader) rebuilds it.
/// Only plain multi-head attention is built (num_key_value_heads = num_attention_heads), without biases, with SiLU.</summary>
public sealed record LlamaConfig(
    int VocabSize, int HiddenSize, int IntermediateSize, int NumHiddenLayers, int NumAttentionHeads,
    int MaxPositionEmbeddings, double RmsNormEps = 1e-6, double RopeTheta = 10000, bool TieWordEmbeddings = false,
    int BosTokenId = ByteTokenizer.Bos, int EosTokenId = ByteTokenizer.Eos, double InitializerRange = 0.02)
{
    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>Throws naming <paramref name="source"/> and the field when the sizes do not fit together.</summary>
    public LlamaConfig Validate(string source = "LlamaConfig")
    {
        void Positive(int value, string field)
        {
            if (value <= 0) throw new ArgumentException($"{source}: {field} must be positive, got {value}");
        }
        Positive(VocabSize, "vocab_size");
        Positive(HiddenSize, "hidden_size");
        Positive(IntermediateSize, "intermediate_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        if (HiddenSize % NumAttentionHeads != 0 || HeadDim % 2 != 0)
            throw new ArgumentException($"{source}: num_attention_heads {NumAttentionHeads} must divide hidden_size {HiddenSize} into an even head size (rotary pairs)");
        if (!(RmsNormEps > 0)) throw new ArgumentException($"{source}: rms_norm_eps must be positive, got {RmsNormEps}");
        if (!(RopeTheta > 1)) throw new ArgumentException($"{source}: rope_theta must be > 1, got {RopeTheta}");
        if (!(InitializerRange > 0)) throw new ArgumentException($"{source}: initializer_range must be positive, got {InitializerRange}");
        if (TieWordEmbeddings)
            throw new ArgumentException($"{source}: tie_word_embeddings must be false; lm_head has its own weight");
        if (BosTokenId < 0 || BosTokenId >= VocabSize || EosTokenId < 0 || EosTokenId >= VocabSize)
            throw new ArgumentException($"{source}: bos_token_id {BosTokenId} and eos_token_id {EosTokenId} must lie in [0, vocab_size {VocabSize})");
        return this;
    }

    /// <summary>config.json as transformers writes it for LlamaForCausalLM.</summary>
    public string ToJson()
    {
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray("LlamaForCausalLM"),
            ["model_type"] = "llama",
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_key_value_heads"] = NumAttentionHeads,
            ["head_dim"] = HeadDim,
            ["hidden_act"] = "silu",
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["rope_scaling"] = null,
            ["attention_bias"] = false,
            ["attention_dropout"] = 0.0,
            ["mlp_bias"] = false,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["bos_token_id"] = BosTokenId,
            ["eos_token_id"] = EosTokenId,
            ["initializer_range"] = InitializerRange,
            ["pretraining_tp"] = 1,
            ["use_cache"] = true,
            ["torch_dtype"] = "float32",
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Reads a config.json; fields this network cannot honour (grouped-query attention, biases, another
    /// activation, rope scaling) are rejected naming <paramref name="source"/> and the field.</summary>
    public static LlamaConfig FromJson(string json, string source)
    {
        JsonObject root;
        try { root = JsonNode.Parse(json) as JsonObject ?? throw new ArgumentException($"{source}: expected a JSON object"); }
        catch (JsonException e) { throw new ArgumentException($"{source}: not valid JSON ({e.Message})", e); }
        int Int(string field, int? fallback = null)
        {
            if (root[field] is JsonValue v && v.TryGetValue(out int i)) return i;
            if (root[field] == null && fallback.HasValue) return fallback.Value;
            throw new ArgumentException($"{source}: field '{field}' must be an integer");
        }
        double Real(string field, double fallback)
        {
            if (root[field] == null) return fallback;
            if (root[field] is JsonValue v && v.TryGetValue(out double d)) return d;
            throw new ArgumentException($"{source}: field '{field}' must be a number");
        }
        bool Flag(string field, bool fallback)
        {
            if (root[field] == null) return fallback;
            if (root[field] is JsonValue v && v.TryGetValue(out bool b)) return b;
            throw new ArgumentException($"{source}: field '{field}' must be true or false");
        }
        int heads = Int("num_attention_heads");
        if (Int("num_key_value_heads", heads) != heads)
            throw new ArgumentException($"{source}: num_key_value_heads must equal num_attention_heads ({heads}); grouped-query attention is not built");
        if (root["hidden_act"] is JsonNode act && act.GetValue<string>() != "silu")
            throw new ArgumentException($"{source}: hidden_act must be \"silu\"");
        if (Flag("attention_bias", false) || Flag("mlp_bias", false))
            throw new ArgumentException($"{source}: attention_bias and mlp_bias must be false");
        if (root["rope_scaling"] != null)
            throw new ArgumentException($"{source}: rope_scaling must be null");
        var config = new LlamaConfig(Int("vocab_size"), Int("hidden_size"), Int("intermediate_size"), Int("num_hidden_layers"), heads,
            Int("max_position_embeddings"), Real("rms_norm_eps", 1e-6), Real("rope_theta", 10000), Flag("tie_word_embeddings", false),
            Int("bos_token_id", ByteTokenizer.Bos), Int("eos_token_id", ByteTokenizer.Eos), Real("initializer_range", 0.02));
        if (root["head_dim"] != null && Int("head_dim") != config.HiddenSize / Math.Max(heads, 1))
            throw new ArgumentException($"{source}: head_dim must be hidden_size / num_attention_heads");
        return config.Validate(source);
    }
}

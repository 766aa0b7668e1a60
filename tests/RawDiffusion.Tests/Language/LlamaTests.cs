using RawDiffusion.Backends;
using RawDiffusion.IO;
using RawDiffusion.Nn;
using RawDiffusion.Models.Language;
using RawDiffusion.Tests.Testing;

namespace RawDiffusion.Tests.Language;

public class LlamaTests
{
    static readonly string FixtureFolder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "llama");

    static LlamaConfig Tiny => new(VocabSize: 258, HiddenSize: 16, IntermediateSize: 40, NumHiddenLayers: 2, NumAttentionHeads: 2, MaxPositionEmbeddings: 32);

    [Fact]
    public void LogitsMatchPyTorchReference()
    {
        // tools/fixtures/make_llama_fixture.py: HF LlamaForCausalLM's forward written out in torch, on random weights.
        using var model = LlamaFiles.Load(FixtureFolder);
        using var expected = SafeTensorsFile.Open(Path.Combine(FixtureFolder, "expected.safetensors"));
        var ids = expected.ReadInt64("input_ids");
        Assert.True(expected.TryGet("input_ids", out var info));
        var shape = info.Shape.Select(d => (int)d).ToArray();
        using var tokens = Tensor.FromArray(Array.ConvertAll(ids, v => (int)v), shape);
        using (GradMode.NoGrad())
        {
            var logits = model.Forward(tokens);
            Assert.Equal([shape[0], shape[1], 258], logits.ShapeArray);
            Reference.Close(expected.ReadFloat32("logits"), logits.ToFloat32Array(), 2e-5, 2e-4, "logit");
        }
    }

    [Fact]
    public void StateDictHasHuggingFaceKeysAndShapesInOrder()
    {
        using var model = new LlamaForCausalLM(Tiny, new Generator(1));
        var expected = new List<(string, int[])> { ("model.embed_tokens.weight", [258, 16]) };
        for (int i = 0; i < 2; i++)
        {
            string p = $"model.layers.{i}.";
            expected.AddRange([(p + "self_attn.q_proj.weight", [16, 16]), (p + "self_attn.k_proj.weight", [16, 16]),
                (p + "self_attn.v_proj.weight", [16, 16]), (p + "self_attn.o_proj.weight", [16, 16]),
                (p + "mlp.gate_proj.weight", [40, 16]), (p + "mlp.up_proj.weight", [40, 16]), (p + "mlp.down_proj.weight", [16, 40]),
                (p + "input_layernorm.weight", [16]), (p + "post_attention_layernorm.weight", [16])]);
        }
        expected.AddRange([("model.norm.weight", [16]), ("lm_head.weight", [258, 16])]);
        var actual = model.StateDict().Select(kv => (kv.Key, kv.Value.ShapeArray)).ToList();
        Assert.Equal(expected.Select(e => e.Item1), actual.Select(a => a.Key));
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i].Item2, actual[i].ShapeArray);
        // The PyTorch fixture's file has exactly these names, so the layout is LlamaForCausalLM's.
        using var file = SafeTensorsFile.Open(Path.Combine(FixtureFolder, "model.safetensors"));
        Assert.Equal(expected.Select(e => e.Item1).Order(), file.Tensors.Select(t => t.Name).Order());
    }

    [Fact]
    public void SaveAndLoadRoundTripWithConfigJson()
    {
        var folder = Path.Combine(Path.GetTempPath(), "rd-llama-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var model = new LlamaForCausalLM(Tiny, new Generator(2));
            LlamaFiles.Save(folder, model);
            var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "config.json"))).RootElement;
            Assert.Equal("llama", json.GetProperty("model_type").GetString());
            Assert.Equal("LlamaForCausalLM", json.GetProperty("architectures")[0].GetString());
            Assert.Equal(16, json.GetProperty("hidden_size").GetInt32());
            Assert.Equal(2, json.GetProperty("num_key_value_heads").GetInt32());
            using var loaded = LlamaFiles.Load(folder);
            Assert.Equal(model.Config, loaded.Config);
            foreach (var (key, value) in model.StateDict()) Assert.Equal(value.ToFloat32Array(), loaded.StateDict()[key].ToFloat32Array());
        }
        finally { if (Directory.Exists(folder)) Directory.Delete(folder, true); }
    }

    [Fact]
    public void ConfigRejectsWhatTheNetworkCannotBuild()
    {
        var ex = Assert.Throws<ArgumentException>(() => LlamaConfig.FromJson(Tiny.ToJson().Replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 1"), "x/config.json"));
        Assert.Contains("x/config.json", ex.Message);
        Assert.Contains("num_key_value_heads", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => (Tiny with { NumAttentionHeads = 3 }).Validate("cfg"));
        Assert.Contains("num_attention_heads", ex.Message);
    }

    [Fact]
    public void RmsNormMatchesFormulaAndFiniteDifferences()
    {
        var x = Reference.Leaf(1, 3, 4, 6);
        var w = Reference.Leaf(2, 6);
        var y = F.RmsNorm(x, w, 1e-5).ToFloat64Array();
        var xs = x.ToFloat64Array();
        var ws = w.ToFloat64Array();
        for (int r = 0; r < 12; r++)
        {
            double ms = 0;
            for (int j = 0; j < 6; j++) ms += xs[r * 6 + j] * xs[r * 6 + j] / 6;
            for (int j = 0; j < 6; j++) Assert.Equal(xs[r * 6 + j] / Math.Sqrt(ms + 1e-5) * ws[j], y[r * 6 + j], 12);
        }
        GradCheck.Check(t => F.RmsNorm(t[0], t[1], 1e-5), [x, w]);
    }

    [Fact]
    public void RotaryRotatesPairsAndMatchesFiniteDifferences()
    {
        using var _ = DefaultDType.Use(DType.Float64);
        var rotary = new RotaryEmbedding(headDim: 6, maxPositions: 10, theta: 10000);
        var x = Reference.Leaf(3, 2, 5, 6);
        var y = rotary.Apply(x).ToFloat64Array();
        var xs = x.ToFloat64Array();
        // Pair (i, i + 3) at position p turns by p·θ^(−2i/6).
        for (int b = 0; b < 2; b++)
            for (int p = 0; p < 5; p++)
                for (int i = 0; i < 3; i++)
                {
                    double angle = p * (float)Math.Pow(10000, -2.0 * i / 6);
                    int o = (b * 5 + p) * 6;
                    double x1 = xs[o + i], x2 = xs[o + i + 3];
                    Assert.Equal(x1 * Math.Cos(angle) - x2 * Math.Sin(angle), y[o + i], 6);
                    Assert.Equal(x2 * Math.Cos(angle) + x1 * Math.Sin(angle), y[o + i + 3], 6);
                }
        GradCheck.Check(t => rotary.Apply(t[0]), [x]);
    }

    [Fact]
    public void CausalAttentionMatchesFiniteDifferences()
    {
        using var _ = DefaultDType.Use(DType.Float64);
        var config = new LlamaConfig(258, 8, 12, 1, 2, 16);
        using var attention = new LlamaAttention(config, new Generator(4));
        foreach (var p in attention.Parameters()) Init.Normal(p, 0, 0.5, new Generator(5));
        var rotary = new RotaryEmbedding(config.HeadDim, 16, 10000);
        var x = Reference.Leaf(6, 2, 5, 8);
        GradCheck.Check(t => attention.Forward(t[0], rotary), [x, attention.QProj.Weight, attention.KProj.Weight, attention.VProj.Weight, attention.OProj.Weight]);
    }

    [Fact]
    public void CausalMaskBlocksExactlyTheFuture()
    {
        using var mask = LlamaAttention.CausalMask(5, DType.Float32, Backend.Default);
        var values = mask.ToFloat32Array();
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++)
                Assert.Equal(j > i ? float.NegativeInfinity : 0f, values[i * 5 + j]);
        // Changing token t changes no logit before t, and does change the logits at t.
        using var model = new LlamaForCausalLM(Tiny with { InitializerRange = 0.3 }, new Generator(7));
        int[] a = [72, 101, 108, 108, 111, 44, 32, 119], b = (int[])a.Clone();
        b[5] = 33;
        using (GradMode.NoGrad())
        {
            var la = model.Forward(Tensor.FromArray(a, 1, 8)).ToFloat32Array();
            var lb = model.Forward(Tensor.FromArray(b, 1, 8)).ToFloat32Array();
            Assert.Equal(la[..(5 * 258)], lb[..(5 * 258)]);
            Assert.NotEqual(la[(5 * 258)..(6 * 258)], lb[(5 * 258)..(6 * 258)]);
        }
    }

    [Fact]
    public void TokenizerRoundTripsAnyText()
    {
        foreach (var text in new[] { "", "Hello, world!\n", "Grüße, naïve café — 日本語 🎉", "%\n\tfortune\r\n" })
        {
            var tokens = ByteTokenizer.Encode(text, addBos: true, addEos: true);
            Assert.Equal(ByteTokenizer.Bos, tokens[0]);
            Assert.Equal(ByteTokenizer.Eos, tokens[^1]);
            Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(text) + 2, tokens.Length);
            Assert.Equal(text, ByteTokenizer.Decode(tokens));
        }
        Assert.Throws<ArgumentException>(() => ByteTokenizer.Decode([300]));
    }
}

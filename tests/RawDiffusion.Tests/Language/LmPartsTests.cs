using RawDiffusion.Language;
using RawDiffusion.Models.Language;
using RawDiffusion.Tests.Testing;
using RawDiffusion.Zoo;

namespace RawDiffusion.Tests.Language;

public class LmPartsTests
{
    static LlamaConfig Tiny => new(VocabSize: 258, HiddenSize: 16, IntermediateSize: 40, NumHiddenLayers: 2, NumAttentionHeads: 2, MaxPositionEmbeddings: 16, InitializerRange: 0.3);

    [Fact]
    public void BitsPerByteMatchesPerPositionSoftmax()
    {
        using var model = new LlamaForCausalLM(Tiny, new Generator(3));
        var stream = ByteTokenizer.Encode("Grüße!\n", true, true).Concat(ByteTokenizer.Encode("BOFH excuse #7:\n\npoor power conditioning\n", true, true)).ToArray();
        const int context = 16;
        // Independent reference: each window's logits, a softmax in double per position, BOS targets skipped.
        double nats = 0;
        long bytes = 0;
        using (GradMode.NoGrad())
            for (int start = 0; start + 1 < stream.Length; start += context)
            {
                int length = Math.Min(context, stream.Length - 1 - start);
                var logits = model.Forward(Tensor.FromArray(stream[start..(start + length)], 1, length)).ToFloat64Array();
                for (int i = 0; i < length; i++)
                {
                    int target = stream[start + i + 1];
                    if (target == ByteTokenizer.Bos) continue;
                    var row = logits.AsSpan(i * 258, 258);
                    double max = double.MinValue, sum = 0;
                    foreach (var v in row) max = Math.Max(max, v);
                    foreach (var v in row) sum += Math.Exp(v - max);
                    nats += Math.Log(sum) + max - row[target];
                    if (target < 256) bytes++;
                }
            }
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount("Grüße!\n") + System.Text.Encoding.UTF8.GetByteCount("BOFH excuse #7:\n\npoor power conditioning\n"), bytes);
        var (n, b) = LmEvaluation.Loss(model, stream, context, batch: 3);
        Assert.Equal(bytes, b);
        Assert.Equal(nats, n, 3);
        Assert.Equal(nats / Math.Log(2) / bytes, LmEvaluation.BitsPerByte(model, stream, context, 2), 5);
    }

    [Fact]
    public void SamplerHonoursTemperatureAndTopK()
    {
        double[] logits = [0.1, 2.0, -1.0, 1.5, 0.3];
        var random = new System.Random(5);
        Assert.Equal(1, TextSampler.Choose(logits, 0, 0, random));
        var counts = new int[5];
        for (int i = 0; i < 4000; i++) counts[TextSampler.Choose(logits, 1.0, 2, random)]++;
        Assert.Equal(0, counts[0] + counts[2] + counts[4]);
        // Top-2 at temperature 1: P(1) = 1 / (1 + e^(1.5 − 2)) ≈ 0.622.
        Assert.InRange(counts[1] / 4000.0, 0.59, 0.65);
        // A low temperature concentrates the mass on the largest logit.
        int top = 0;
        for (int i = 0; i < 1000; i++) if (TextSampler.Choose(logits, 0.05, 0, random) == 1) top++;
        Assert.True(top > 990);
        using var model = new LlamaForCausalLM(Tiny, new Generator(4));
        var text = TextSampler.Sample(model, ByteTokenizer.Encode("ab", addBos: true), 20, 0.8, 10, new Generator(1));
        Assert.Equal([ByteTokenizer.Bos, 'a', 'b'], text[..3]);
        Assert.InRange(text.Length, 4, 23);
    }

    [Fact]
    public void ChunksRoundTripAndCarryDomainAndChunkClasses()
    {
        var config = Tiny;
        var generation = new LmGenerationSection(["self_attn.o_proj", "mlp.down_proj"], [1], 100, new RawDiffusion.Models.VaeConfig(), new RawDiffusion.Models.UNetConfig(),
            new RawDiffusion.Models.DiffusionConfig(), new LmStageTraining(1, 1, 1, 0), new LmStageTraining(1, 1, 1, 0), 1, 1, 1, 1);
        var selected = LayerSelection.Select(config, generation, null).Tensors;
        Assert.Equal(["model.layers.1.self_attn.o_proj.weight", "model.layers.1.mlp.down_proj.weight"], selected.Select(s => s.Name));
        Assert.Equal([16, 40], selected[1].Shape);
        var members = Enumerable.Range(0, 3).Select(seed =>
        {
            using var m = new LlamaForCausalLM(config, new Generator((ulong)seed));
            return (IReadOnlyDictionary<string, float[]>)selected.ToDictionary(s => s.Name, s => m.StateDict()[s.Name].ToFloat32Array());
        }).ToList();
        var chunks = LmZooChunks.Fit(selected, 100, members, ["en", "de"]);
        // 256 values -> 3 chunks, 640 -> 7 chunks; the layer-wise vector is chunks back to back.
        Assert.Equal(10, chunks.ChunkCount);
        var vector = chunks.Layout.Flatten(members[1]);
        Assert.Equal(members[1], chunks.Layout.Unflatten(vector));   // the chunking's inverse is exact
        var back = chunks.Denormalize(chunks.Normalize(vector));
        foreach (var s in selected) Reference.Close(members[1][s.Name], back[s.Name], 1e-6, 1e-5);
        var (rows, classes) = chunks.Rows([(1, members[0]), (0, members[2])]);
        Assert.Equal(2 * 10 * 100, rows.Length);
        Assert.Equal(Enumerable.Range(10, 10).Concat(Enumerable.Range(0, 10)), classes);
        // Saved and loaded statistics give the same vectors.
        var folder = Path.Combine(Path.GetTempPath(), "rd-chunks-" + Guid.NewGuid().ToString("N"));
        try
        {
            chunks.Save(folder);
            var loaded = LmZooChunks.Load(folder);
            Assert.Equal(chunks.Normalize(vector), loaded.Normalize(vector));
            Assert.Equal(["en", "de"], loaded.Domains);
        }
        finally { Directory.Delete(folder, true); }
    }

    [Fact]
    public void TextCorpusReadsTheCommittedDomains()
    {
        var root = TextCorpus.Root();
        Assert.Equal(["bofh", "de", "en", "pt"], TextCorpus.Domains(root));
        var bofh = TextCorpus.Load(root, "bofh");
        Assert.Equal(410, bofh.Train.Count);
        Assert.Equal(43, bofh.Valid.Count);
        Assert.StartsWith("BOFH excuse #", bofh.Train[0]);
        Assert.Equal(bofh.Train.Sum(d => System.Text.Encoding.UTF8.GetByteCount(d) + 2), bofh.TrainTokens.Length);
        Assert.Empty(bofh.Train.Intersect(bofh.Valid));
        var ex = Assert.Throws<DirectoryNotFoundException>(() => TextCorpus.Load(root, "xx"));
        Assert.Contains("bofh, de, en, pt", ex.Message);
    }

    [Fact]
    public void ConfigsParseAndRejectMismatchedGenerators()
    {
        foreach (var name in new[] { "lm.json", "lm-tiny.json", "lm-scale.json" })
            LmConfig.Load(Path.Combine(RepositoryConfigs(), name));
        var json = File.ReadAllText(Path.Combine(RepositoryConfigs(), "lm-tiny.json"));
        var ex = Assert.Throws<ArgumentException>(() => LmConfig.Parse(json.Replace("\"chunkSize\": 256", "\"chunkSize\": 300"), "t.json"));
        Assert.Contains("t.json", ex.Message);
        Assert.Contains("vectorLength", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LmConfig.Parse(json.Replace("\"mlp.down_proj\"", "\"mlp.nope\""), "t.json"));
        Assert.Contains("generation.modules", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LmConfig.Parse(json.Replace("\"rankBy\": \"spectrum\"", "\"rankBy\": \"loudest\""), "t.json"));
        Assert.Contains("generation.spectrum.rankBy", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LmConfig.Parse(json.Replace("\"topPercent\": 50", "\"topPercent\": 0"), "t.json"));
        Assert.Contains("generation.spectrum.topPercent", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LmConfig.Parse(json.Replace("\"layers\": null", "\"layers\": [0]"), "t.json"));
        Assert.Contains("generation.layers must be null", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LmConfig.Parse(json.Replace("\"evalBatchSize\"", "\"evalBatch\""), "t.json"));
        Assert.Contains("evalBatch", ex.Message);
    }

    internal static string RepositoryConfigs()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "RawDiffusion.sln"))) return Path.Combine(d.FullName, "configs");
        throw new DirectoryNotFoundException("repository root not found above " + AppContext.BaseDirectory);
    }
}

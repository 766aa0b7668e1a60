using RawDiffusion.Models.Language;

namespace RawDiffusion.Language;

/// <summary>Autoregressive text sampling with temperature and top-k: each step runs the model on the last
/// max_position_embeddings tokens, divides the final logits by the temperature, keeps the k largest and draws from
/// their softmax. Temperature 0 is greedy decoding. Stops at EOS or after <c>maxNewTokens</c>.</summary>
public static class TextSampler
{
    public static int[] Sample(LlamaForCausalLM model, IReadOnlyList<int> prompt, int maxNewTokens, double temperature, int topK, Generator generator)
    {
        if (!(temperature >= 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be >= 0");
        if (topK < 0) throw new ArgumentOutOfRangeException(nameof(topK), topK, "top-k must be >= 0 (0: all tokens)");
        var tokens = new List<int>(prompt.Count == 0 ? [ByteTokenizer.Bos] : prompt);
        var random = generator.HostRandom();
        int vocab = model.Config.VocabSize, window = model.Config.MaxPositionEmbeddings;
        using var _ = GradMode.NoGrad();
        for (int n = 0; n < maxNewTokens; n++)
        {
            using var scope = DisposeScope.Enter();
            var context = tokens.Skip(Math.Max(0, tokens.Count - window)).ToArray();
            var logits = model.Forward(Tensor.FromArray(context, 1, context.Length)).Slice(1, context.Length - 1, 1).ToFloat64Array();
            int next = Choose(logits, temperature, topK, random);
            tokens.Add(next);
            if (next == ByteTokenizer.Eos) break;
        }
        return tokens.ToArray();
    }

    /// <summary>One draw from the tempered, top-k truncated distribution of <paramref name="logits"/>.</summary>
    public static int Choose(double[] logits, double temperature, int topK, System.Random random)
    {
        var order = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ToArray();
        if (temperature == 0) return order[0];
        int keep = topK == 0 ? logits.Length : Math.Min(topK, logits.Length);
        double max = logits[order[0]];
        var weights = new double[keep];
        double total = 0;
        for (int i = 0; i < keep; i++) total += weights[i] = Math.Exp((logits[order[i]] - max) / temperature);
        double u = random.NextDouble() * total;
        for (int i = 0; i < keep; i++)
        {
            u -= weights[i];
            if (u <= 0) return order[i];
        }
        return order[keep - 1];
    }
}

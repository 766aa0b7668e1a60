using RawDiffusion.Models.Language;

namespace RawDiffusion.Language;

/// <summary>Validation measures of a language model on a token stream.</summary>
public static class LmEvaluation
{
    /// <summary>Next-token loss summed over the stream, read in consecutive windows of <paramref name="context"/>
    /// predictions (each window sees the tokens since its start). Returns (nats over byte and EOS targets, byte count):
    /// BOS targets are skipped (a BOS always follows an EOS in the stream, so it is format, not text), and the EOS
    /// that ends each document is charged, as its cost is part of coding the document.</summary>
    public static (double Nats, long Bytes) Loss(LlamaForCausalLM model, int[] stream, int context, int batch = 16)
    {
        var windows = new List<int>();
        for (int start = 0; start + 1 < stream.Length; start += context) windows.Add(start);
        double nats = 0;
        long bytes = 0;
        using var _ = GradMode.NoGrad();
        for (int w = 0; w < windows.Count; w += batch)
        {
            using var scope = DisposeScope.Enter();
            int rows = Math.Min(batch, windows.Count - w);
            // Windows at the end are shorter; evaluate each group at the shortest length it holds, the rest one by one.
            var group = windows.Skip(w).Take(rows).ToArray();
            foreach (var part in group.GroupBy(s => Math.Min(context, stream.Length - 1 - s)))
            {
                int length = part.Key;
                var starts = part.ToArray();
                var inputs = new int[starts.Length * length];
                var targets = new int[starts.Length * length];
                for (int r = 0; r < starts.Length; r++)
                {
                    Array.Copy(stream, starts[r], inputs, r * length, length);
                    Array.Copy(stream, starts[r] + 1, targets, r * length, length);
                }
                var logits = model.Forward(Tensor.FromArray(inputs, starts.Length, length));
                var losses = F.CrossEntropy(logits.Reshape(starts.Length * length, model.Config.VocabSize),
                    Tensor.FromArray(targets, starts.Length * length), reduction: "none").ToFloat64Array();
                for (int i = 0; i < targets.Length; i++)
                {
                    if (targets[i] == ByteTokenizer.Bos) continue;
                    nats += losses[i];
                    if (targets[i] < 256) bytes++;
                }
            }
        }
        return (nats, bytes);
    }

    /// <summary>Bits per UTF-8 byte of the stream's text: total code length in bits / bytes (see <see cref="Loss"/>).</summary>
    public static double BitsPerByte(LlamaForCausalLM model, int[] stream, int context, int batch = 16)
    {
        var (nats, bytes) = Loss(model, stream, context, batch);
        if (bytes == 0) throw new ArgumentException("bits per byte of a stream without bytes", nameof(stream));
        return nats / Math.Log(2) / bytes;
    }
}

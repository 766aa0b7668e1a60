namespace RawDiffusion.Language;

/// <summary>Training batches of token windows: each row is a random window of <c>context + 1</c> tokens (inputs and
/// next-token targets) from a stream; with several streams each row first picks a stream uniformly, so a mix of
/// domains is balanced whatever their sizes.</summary>
public static class LmBatches
{
    public static Tensor Sample(IReadOnlyList<int[]> streams, int batch, int context, Generator generator)
    {
        var random = generator.HostRandom();
        var rows = new int[batch * (context + 1)];
        for (int r = 0; r < batch; r++)
        {
            var stream = streams[streams.Count == 1 ? 0 : random.Next(streams.Count)];
            if (stream.Length < context + 1)
                throw new ArgumentException($"a token stream of {stream.Length} tokens is shorter than one window of {context + 1}", nameof(streams));
            int start = random.Next(stream.Length - context);
            Array.Copy(stream, start, rows, r * (context + 1), context + 1);
        }
        return Tensor.FromArray(rows, batch, context + 1);
    }
}

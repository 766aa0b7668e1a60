using System.Text;

namespace RawDiffusion.Models.Language;

/// <summary>Byte-level tokens: the UTF-8 bytes of the text are tokens 0–255, and two markers delimit documents
/// (<see cref="Bos"/> 256 before, <see cref="Eos"/> 257 after). No vocabulary file is needed and every text round-trips.</summary>
public static class ByteTokenizer
{
    public const int Bos = 256, Eos = 257, VocabSize = 258;

    /// <summary>The UTF-8 bytes of <paramref name="text"/>, optionally between BOS and EOS.</summary>
    public static int[] Encode(string text, bool addBos = false, bool addEos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = Encoding.UTF8.GetBytes(text);
        var tokens = new int[bytes.Length + (addBos ? 1 : 0) + (addEos ? 1 : 0)];
        int n = 0;
        if (addBos) tokens[n++] = Bos;
        foreach (var b in bytes) tokens[n++] = b;
        if (addEos) tokens[n] = Eos;
        return tokens;
    }

    /// <summary>The text of the byte tokens (markers are dropped; an invalid UTF-8 sequence, which a sampler can
    /// produce, becomes U+FFFD as in Python's errors="replace").</summary>
    public static string Decode(IEnumerable<int> tokens)
    {
        var bytes = new List<byte>();
        foreach (var t in tokens)
        {
            if (t is < 0 or >= VocabSize) throw new ArgumentException($"token {t} is outside the byte vocabulary [0, {VocabSize})", nameof(tokens));
            if (t < 256) bytes.Add((byte)t);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}

using System.Text;
using RawDiffusion.Tasks;

namespace RawDiffusion.Pipeline;

/// <summary>
/// The built-in text encoder: a deterministic, training-free map from a description to a fixed-length vector (the
/// "hashing trick"). Lower-cased words (runs of letters and digits), word bigrams and trigrams (weight 1), and
/// character 3- to 5-grams of the whole description, spaces and punctuation kept (weight 1/2, so spelling variants
/// stay close without drowning the word order), are each hashed (64-bit FNV-1a, a different salt per kind) to an
/// index and a sign; the signed sums are scaled to unit root-mean-square. Word n-grams such as "0 sneaker" and
/// "sneaker output 1" tie each class name to its output position and neighbours, so the same classes in another
/// order give another vector. The UNet's vector projection (vector_emb), trained with the diffusion model, is the learned
/// part on top.
/// </summary>
public sealed class HashedTextEncoder(int length)
{
    public int Length { get; } = length > 0 ? length : throw new ArgumentOutOfRangeException(nameof(length), "the text vector needs a positive length");

    /// <summary>The default description of a task: its class names in output order, "output 0: Sneaker; output 1: Bag; ...".</summary>
    public static string Describe(TaskSpec task) => string.Join("; ", task.ClassNames.Select((name, j) => $"output {j}: {name}"));

    public float[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var counts = new double[Length];
        string lower = text.ToLowerInvariant();
        var words = Words(lower);
        foreach (var w in words) Add(counts, 'w', w, 1);
        for (int i = 0; i + 1 < words.Count; i++) Add(counts, 'b', words[i] + " " + words[i + 1], 1);
        for (int i = 0; i + 2 < words.Count; i++) Add(counts, 't', words[i] + " " + words[i + 1] + " " + words[i + 2], 1);
        string padded = " " + string.Join(' ', lower.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)) + " ";
        for (int n = 3; n <= 5; n++)
            for (int i = 0; i + n <= padded.Length; i++) Add(counts, (char)('0' + n), padded.Substring(i, n), CharacterWeight);
        double norm = Math.Sqrt(counts.Sum(c => c * c));
        var result = new float[Length];
        if (norm == 0) return result;
        double scale = Math.Sqrt(Length) / norm;
        for (int i = 0; i < Length; i++) result[i] = (float)(counts[i] * scale);
        return result;
    }

    static List<string> Words(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (char c in text)
        {
            if (char.IsLetterOrDigit(c)) { word.Append(c); continue; }
            if (word.Length > 0) words.Add(word.ToString());
            word.Clear();
        }
        if (word.Length > 0) words.Add(word.ToString());
        return words;
    }

    const double CharacterWeight = 0.5;

    void Add(double[] counts, char salt, string feature, double weight)
    {
        ulong h = Fnv1a(salt, feature);
        int index = (int)(h % (ulong)Length);
        counts[index] += (h >> 63) == 0 ? weight : -weight;
    }

    static ulong Fnv1a(char salt, string feature)
    {
        ulong h = 14695981039346656037UL;
        void Byte(byte b) { h ^= b; h *= 1099511628211UL; }
        Byte((byte)salt);
        foreach (byte b in Encoding.UTF8.GetBytes(feature)) Byte(b);
        // FNV's low bits mix poorly for short inputs; a final avalanche (splitmix64's) spreads them.
        h ^= h >> 30; h *= 0xBF58476D1CE4E5B9UL;
        h ^= h >> 27; h *= 0x94D049BB133111EBUL;
        h ^= h >> 31;
        return h;
    }
}

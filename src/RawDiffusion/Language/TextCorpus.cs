using System.Text;
using RawDiffusion.Data;
using RawDiffusion.Models.Language;

namespace RawDiffusion.Language;

/// <summary>One text domain: its training and validation documents (fortune entries) and their token streams.</summary>
public sealed class TextDomain
{
    public TextDomain(string name, IReadOnlyList<string> train, IReadOnlyList<string> valid)
    {
        Name = name;
        Train = train;
        Valid = valid;
        TrainTokens = Stream(train);
        ValidTokens = Stream(valid);
    }

    public string Name { get; }
    public IReadOnlyList<string> Train { get; }
    public IReadOnlyList<string> Valid { get; }
    /// <summary>BOS, the bytes, EOS for each document, back to back.</summary>
    public int[] TrainTokens { get; }
    public int[] ValidTokens { get; }

    static int[] Stream(IReadOnlyList<string> documents) =>
        documents.SelectMany(d => ByteTokenizer.Encode(d, addBos: true, addEos: true)).ToArray();
}

/// <summary>Loads the text domains laid out as data/text: <c>&lt;domain&gt;/train.txt</c> and <c>valid.txt</c> in fortune
/// format (entries separated by lines holding only "%"); see data/text/README.md.</summary>
public static class TextCorpus
{
    public const string Folder = "text";

    /// <summary>The text folder under the data root (<see cref="DataLocator"/>: an explicit folder, RAWDIFFUSION_DATA, or the
    /// repository's data/).</summary>
    public static string Root(string? dataRoot = null) => Path.Combine(DataLocator.FindDataRoot(dataRoot), Folder);

    public static TextDomain Load(string textRoot, string domain)
    {
        var folder = Path.Combine(textRoot, domain);
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: text domain '{domain}' not found (domains there: {string.Join(", ", Domains(textRoot))})");
        var train = ReadEntries(Path.Combine(folder, "train.txt"));
        var valid = ReadEntries(Path.Combine(folder, "valid.txt"));
        if (train.Count == 0 || valid.Count == 0)
            throw new InvalidDataException($"{folder}: domain '{domain}' needs training and validation entries (train {train.Count}, valid {valid.Count})");
        return new TextDomain(domain, train, valid);
    }

    public static IReadOnlyList<string> Domains(string textRoot) =>
        Directory.Exists(textRoot) ? Directory.GetDirectories(textRoot).Select(d => Path.GetFileName(d)!).Order().ToList() : [];

    /// <summary>The entries of a fortune file, each ending with its newline.</summary>
    public static List<string> ReadEntries(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: missing fortune file", path);
        string text;
        try { text = new UTF8Encoding(false, true).GetString(File.ReadAllBytes(path)); }
        catch (DecoderFallbackException e) { throw new InvalidDataException($"{path}: not valid UTF-8 ({e.Message})", e); }
        var entries = new List<string>();
        var current = new StringBuilder();
        foreach (var line in text.Split('\n'))
        {
            if (line == "%")
            {
                Add(entries, current);
                current.Clear();
            }
            else current.Append(line).Append('\n');
        }
        Add(entries, current);
        return entries;
    }

    static void Add(List<string> entries, StringBuilder entry)
    {
        var text = entry.ToString().TrimEnd('\n');
        if (text.Trim().Length > 0) entries.Add(text + "\n");
    }
}

using System.Globalization;
using System.Text;
using RawDiffusion.IO;

namespace RawDiffusion.Training;

/// <summary>One row of a metrics file: the step and each metric by its column name.</summary>
public sealed record MetricsRow(long Step, IReadOnlyDictionary<string, double> Values);

/// <summary>A training run's metrics as CSV: a header "step,&lt;metric&gt;,..." taken from the first row's keys, then one
/// row per step. Numbers use the invariant culture and round-trip formatting, so a value read back is bit for bit the
/// one written (NaN and infinities included). Each row is appended and flushed at once, so a killed run loses at most
/// the row being written; <see cref="DropFrom"/> rewrites the file atomically, so resuming never leaves it half cut.
/// Steps must increase from row to row.</summary>
public sealed class MetricsCsv : IDisposable
{
    const string StepColumn = "step";
    StreamWriter? writer;
    string[]? columns;
    long lastStep = -1;
    bool disposed;

    /// <summary>Nothing is read or written until the first <see cref="Append"/> or <see cref="DropFrom"/>.</summary>
    public MetricsCsv(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    public string Path { get; }

    /// <summary>A line written as "# note" before the first row a writer adds, unless the file's last note already says
    /// the same (a resume on the same device leaves the file as an uninterrupted run would), so the file records what
    /// produced its rows (e.g. "device: CUDA: NVIDIA H200 ..."). Readers skip "#" lines.</summary>
    public string? Note { get; init; }

    /// <summary>The last "#" line of the file when the writer opened it.</summary>
    string? lastNote;

    /// <summary>The metric columns (without "step"), once the file has a header.</summary>
    public IReadOnlyList<string>? Columns => columns;

    /// <summary>Keeps only the rows before <paramref name="step"/> (what a run resumed at that step has already
    /// logged) and drops the rest, so the resumed run's rows follow on exactly as in an uninterrupted run. From step 0
    /// the file is emptied, header included: a new run picks its own columns. The file is rewritten atomically; a last
    /// line without its newline (a write cut short by a kill) is dropped too.</summary>
    public void DropFrom(long step)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        CloseWriter();
        columns = null;
        lastStep = -1;
        var kept = new StringBuilder();
        if (step > 0 && File.Exists(Path))
        {
            var lines = ReadLines(Path, dropTornLastLine: true);
            var data = lines.Where(l => !IsNote(l.Text)).ToList();
            if (data.Count > 0)
            {
                var names = ParseHeader(Path, data[0].Text, data[0].Number);
                long previous = -1;
                // Notes stay where they were, up to the first dropped row.
                foreach (var (number, text) in lines)
                {
                    if (!IsNote(text) && number != data[0].Number)
                    {
                        var row = ParseRow(Path, number, text, names, previous);
                        if (row.Step >= step) break;
                        previous = row.Step;
                    }
                    kept.Append(text).Append('\n');
                }
                columns = names;
                lastStep = previous;
            }
        }
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        byte[] content = new UTF8Encoding(false).GetBytes(kept.ToString());
        AtomicFile.Write(Path, stream => stream.Write(content));
    }

    /// <summary>Adds the row for <paramref name="step"/> (greater than every step already in the file) and flushes it.
    /// The first row of a file without a header sets the columns, in <paramref name="metrics"/>' order; later rows must
    /// have the same names.</summary>
    public void Append(long step, IReadOnlyDictionary<string, double> metrics)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (writer == null)
        {
            writer = OpenForAppend();
            string? note = string.IsNullOrEmpty(Note) ? null : "# " + Note.ReplaceLineEndings(" ");
            if (note != null && note != lastNote) writer.Write(note + "\n");
        }
        if (columns == null)
        {
            foreach (var name in metrics.Keys) CheckColumnName(name);
            columns = [.. metrics.Keys];
            writer.Write(StepColumn);
            foreach (var name in columns) writer.Write("," + name);
            writer.Write('\n');
        }
        if (step <= lastStep)
            throw new ArgumentException($"{Path}: step {step} comes after step {lastStep}; steps must increase", nameof(step));
        var missing = columns.Where(c => !metrics.ContainsKey(c)).ToList();
        var extra = metrics.Keys.Where(k => !columns.Contains(k)).ToList();
        if (missing.Count > 0 || extra.Count > 0)
            throw new ArgumentException($"{Path}: the row for step {step} has metrics [{string.Join(", ", metrics.Keys)}] but the file's columns are [{string.Join(", ", columns)}]", nameof(metrics));
        var line = new StringBuilder(step.ToString(CultureInfo.InvariantCulture));
        foreach (var name in columns) line.Append(',').Append(metrics[name].ToString("R", CultureInfo.InvariantCulture));
        writer.Write(line.Append('\n').ToString());
        writer.Flush();
        lastStep = step;
    }

    /// <summary>Every row of <paramref name="path"/> (for plots and checks). Errors name the file, the line and the column.</summary>
    public static IReadOnlyList<MetricsRow> ReadAll(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"{full}: metrics file not found", full);
        var lines = ReadLines(full, dropTornLastLine: false).Where(l => !IsNote(l.Text)).ToList();
        if (lines.Count == 0) return [];
        var names = ParseHeader(full, lines[0].Text, lines[0].Number);
        var rows = new List<MetricsRow>(lines.Count - 1);
        long previous = -1;
        for (int i = 1; i < lines.Count; i++)
        {
            var row = ParseRow(full, lines[i].Number, lines[i].Text, names, previous);
            rows.Add(row);
            previous = row.Step;
        }
        return rows;
    }

    /// <summary>The notes of <paramref name="path"/> (its "#" lines without the "# "), in file order.</summary>
    public static IReadOnlyList<string> ReadNotes(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"{full}: metrics file not found", full);
        return ReadLines(full, dropTornLastLine: false).Where(l => IsNote(l.Text)).Select(l => l.Text.TrimStart('#').Trim()).ToArray();
    }

    static bool IsNote(string line) => line.StartsWith('#');

    StreamWriter OpenForAppend()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        columns = null;
        lastStep = -1;
        lastNote = null;
        if (File.Exists(Path))
        {
            var all = ReadLines(Path, dropTornLastLine: false);
            lastNote = all.LastOrDefault(l => IsNote(l.Text)).Text;
            var lines = all.Where(l => !IsNote(l.Text)).ToList();
            if (lines.Count > 0)
            {
                columns = ParseHeader(Path, lines[0].Text, lines[0].Number);
                for (int i = 1; i < lines.Count; i++) lastStep = ParseRow(Path, lines[i].Number, lines[i].Text, columns, lastStep).Step;
            }
        }
        var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        return new StreamWriter(stream, new UTF8Encoding(false));
    }

    /// <summary>The file's lines with their 1-based numbers, without their '\n' (a '\r' before it is removed too).</summary>
    static List<(int Number, string Text)> ReadLines(string path, bool dropTornLastLine)
    {
        string text = File.ReadAllText(path, Encoding.UTF8);
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        // Split leaves "" after a final '\n'; anything else there is a line whose '\n' was never written.
        string last = lines[^1];
        lines.RemoveAt(lines.Count - 1);
        if (last.Length > 0 && !dropTornLastLine) lines.Add(last);
        return lines.Select((text, index) => (index + 1, text)).ToList();
    }

    static string[] ParseHeader(string path, string line, int lineNumber)
    {
        var fields = line.Split(',');
        if (fields[0] != StepColumn)
            throw new FormatException($"{path}: line {lineNumber}: the header must start with '{StepColumn}', found '{fields[0]}'");
        var names = fields[1..];
        var seen = new HashSet<string>();
        for (int c = 0; c < names.Length; c++)
        {
            if (names[c].Length == 0) throw new FormatException($"{path}: line {lineNumber}: column {c + 2} has an empty name");
            if (!seen.Add(names[c]) || names[c] == StepColumn) throw new FormatException($"{path}: line {lineNumber}: column '{names[c]}' appears twice");
        }
        return names;
    }

    static MetricsRow ParseRow(string path, int lineNumber, string line, string[] names, long previousStep)
    {
        var fields = line.Split(',');
        if (fields.Length != names.Length + 1)
            throw new FormatException($"{path}: line {lineNumber}: {fields.Length} field(s), the header has {names.Length + 1}");
        if (!long.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long step) || step < 0)
            throw new FormatException($"{path}: line {lineNumber}: column '{StepColumn}' is '{fields[0]}', not a step number");
        if (step <= previousStep)
            throw new FormatException($"{path}: line {lineNumber}: step {step} follows step {previousStep}; steps must increase");
        var values = new Dictionary<string, double>(names.Length);
        for (int c = 0; c < names.Length; c++)
        {
            if (!double.TryParse(fields[c + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                throw new FormatException($"{path}: line {lineNumber}: column '{names[c]}' is '{fields[c + 1]}', not a number");
            values[names[c]] = value;
        }
        return new MetricsRow(step, values);
    }

    static void CheckColumnName(string name)
    {
        if (string.IsNullOrEmpty(name) || name == StepColumn || name.IndexOfAny([',', '\n', '\r', '"']) >= 0)
            throw new ArgumentException($"metric name '{name}' cannot be a CSV column: it must be non-empty, not '{StepColumn}', without commas, quotes or line breaks", "metrics");
    }

    void CloseWriter()
    {
        writer?.Dispose();
        writer = null;
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        CloseWriter();
    }
}

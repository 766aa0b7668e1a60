using System.Globalization;
using System.Text;
using RawDiffusion.Data;
using RawDiffusion.IO;
using RawDiffusion.Tasks;

namespace RawDiffusion.Zoo;

/// <summary>
/// Turns networks trained elsewhere (e.g. PyTorch state dicts saved as safetensors, whose torch.nn.Sequential keys
/// such as "1.weight" are ours) into a zoo: a CSV maps each file to its task, every file is checked against the
/// target architecture, and all are written as zoo checkpoints with a zoo.json. Everything is checked before anything
/// is written, and a destination that already holds a zoo is refused.
/// </summary>
public static class ZooImporter
{
    public const string FileColumn = "file", TaskColumn = "task", SeedColumn = "seed", EpochColumn = "epoch",
        TrainAccuracyColumn = "train_accuracy", TestAccuracyColumn = "test_accuracy";

    static readonly string[] Columns = [FileColumn, TaskColumn, SeedColumn, EpochColumn, TrainAccuracyColumn, TestAccuracyColumn];

    /// <summary>Class names of the domains the repository ships: Fashion-MNIST and MNIST digits.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> DefaultDomainClassNames => Datasets.ClassNamesByDomain;

    sealed record Row(int Line, string File, TaskSpec Task, int? Seed, int Epoch, double? TrainAccuracy, double? TestAccuracy, Dictionary<string, float[]> Tensors);

    /// <summary>
    /// Imports the files <paramref name="csvPath"/> lists (paths relative to <paramref name="sourceFolder"/>) into
    /// <paramref name="destinationFolder"/>. CSV: a header naming columns "file" and "task" (a task id
    /// "domain:c0-c1-...", classes in output order) and optionally "seed", "epoch", "train_accuracy",
    /// "test_accuracy"; an empty cell means not given. Without a seed, a task's files are numbered 0, 1, ... in CSV
    /// order (per epoch); without an epoch, 0. Domains must be keys of <paramref name="domainClassNames"/> (default
    /// <see cref="DefaultDomainClassNames"/>), which also gives the task's class names. Tensors may be F32, F16, BF16
    /// or F64. <paramref name="features"/> defaults to <see cref="ZooFeatures.Default"/>.
    /// </summary>
    public static ZooManifest Import(string sourceFolder, string csvPath, TargetArchitecture architecture, string destinationFolder,
                                     IReadOnlyDictionary<string, IReadOnlyList<string>>? domainClassNames = null, ZooFeatures? features = null)
    {
        domainClassNames ??= DefaultDomainClassNames;
        string zooPath = Path.Combine(destinationFolder, ZooManifest.FileName);
        if (File.Exists(zooPath)) throw new IOException($"{zooPath}: the destination already holds a zoo; nothing was imported or overwritten");
        string checkpoints = Path.Combine(destinationFolder, "checkpoints");
        if (Directory.Exists(checkpoints) && Directory.EnumerateFileSystemEntries(checkpoints).Any())
            throw new IOException($"{checkpoints}: the destination already holds zoo checkpoints; nothing was imported or overwritten");
        if (!File.Exists(csvPath)) throw new FileNotFoundException($"{csvPath}: mapping CSV not found", csvPath);

        var rows = ReadRows(sourceFolder, csvPath, architecture, domainClassNames);
        var entries = AssignSeeds(rows, csvPath);
        var tasks = rows.Select(r => r.Task).DistinctBy(t => t.Id).Select(ZooTask.From).ToList();
        var manifest = new ZooManifest
        {
            Architecture = architecture,
            Features = features ?? ZooFeatures.Default(architecture),
            Data = new ZooData
            {
                Domain = string.Join(",", tasks.Select(t => t.Domain).Distinct()),
                Train = $"imported from {Path.GetFullPath(csvPath)}",
                Test = "not recorded (imported)",
            },
            Tasks = tasks,
            Checkpoints = entries.Select(e => e.Entry).ToList(),
        };
        manifest.Validate(zooPath); // before any file is written
        foreach (var (row, entry) in entries)
            ZooCheckpoint.Write(Path.Combine(destinationFolder, entry.File), architecture, row.Tensors, entry);
        manifest.Save(destinationFolder);
        return manifest;
    }

    static List<Row> ReadRows(string sourceFolder, string csvPath, TargetArchitecture architecture,
                              IReadOnlyDictionary<string, IReadOnlyList<string>> domainClassNames)
    {
        var lines = File.ReadAllLines(csvPath, Encoding.UTF8);
        if (lines.Length == 0 || string.IsNullOrWhiteSpace(lines[0]))
            throw new FormatException($"{csvPath}, line 1: the header is missing (expected columns {string.Join(", ", Columns)})");
        var header = SplitLine(lines[0], csvPath, 1).Select(h => h.Trim()).ToArray();
        for (int c = 0; c < header.Length; c++)
        {
            if (!Columns.Contains(header[c]))
                throw new FormatException($"{csvPath}, line 1, column {c + 1} (\"{header[c]}\"): unknown column (known: {string.Join(", ", Columns)})");
            if (Array.IndexOf(header, header[c]) != c)
                throw new FormatException($"{csvPath}, line 1, column {c + 1} (\"{header[c]}\"): the column appears twice");
        }
        foreach (var required in new[] { FileColumn, TaskColumn })
            if (!header.Contains(required))
                throw new FormatException($"{csvPath}, line 1: required column \"{required}\" is missing (header: {lines[0]})");

        var rows = new List<Row>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            int line = i + 1;
            var cells = SplitLine(lines[i], csvPath, line);
            if (cells.Length != header.Length)
                throw new FormatException($"{csvPath}, line {line}: {cells.Length} cells, the header has {header.Length} columns");
            string? Cell(string column)
            {
                int index = Array.IndexOf(header, column);
                if (index < 0) return null;
                string value = cells[index].Trim();
                return value.Length == 0 ? null : value;
            }
            string Where(string column) => $"{csvPath}, line {line}, column \"{column}\"";

            string file = Cell(FileColumn) ?? throw new FormatException($"{Where(FileColumn)}: no file given");
            string path = Path.Combine(sourceFolder, file);
            if (!File.Exists(path)) throw new FileNotFoundException($"{Where(FileColumn)}: file \"{file}\" does not exist ({path})", path);
            var task = ParseTask(Cell(TaskColumn), Where(TaskColumn), domainClassNames);
            if (task.ClassCount != architecture.Classes)
                throw new FormatException($"{Where(TaskColumn)}: task \"{task.Id}\" has {task.ClassCount} classes, architecture \"{architecture.Name}\" has {architecture.Classes}");
            int? seed = ParseInt(Cell(SeedColumn), Where(SeedColumn));
            int epoch = ParseInt(Cell(EpochColumn), Where(EpochColumn)) ?? 0;
            if (epoch < 0) throw new FormatException($"{Where(EpochColumn)}: epoch {epoch} is negative");
            double? train = ParseAccuracy(Cell(TrainAccuracyColumn), Where(TrainAccuracyColumn));
            double? test = ParseAccuracy(Cell(TestAccuracyColumn), Where(TestAccuracyColumn));
            Dictionary<string, float[]> tensors;
            using (var weights = WeightsFile.Open(path, $"{csvPath}, line {line}: file \"{file}\"", "safetensors file"))
                tensors = WeightsFile.ReadTensors(weights, $"{csvPath}, line {line}: file \"{file}\"", architecture);
            rows.Add(new Row(line, file, task, seed, epoch, train, test, tensors));
        }
        if (rows.Count == 0) throw new FormatException($"{csvPath}: no rows after the header; nothing to import");
        return rows;
    }

    /// <summary>Gives rows without a seed the next free number of their task and epoch, and refuses duplicates.</summary>
    static List<(Row Row, ZooCheckpointEntry Entry)> AssignSeeds(List<Row> rows, string csvPath)
    {
        var taken = new Dictionary<(string, int, int), int>();
        foreach (var row in rows.Where(r => r.Seed != null))
        {
            var key = (row.Task.Id, row.Seed!.Value, row.Epoch);
            if (taken.TryGetValue(key, out int earlier))
                throw new FormatException($"{csvPath}, line {row.Line}: task \"{row.Task.Id}\", seed {row.Seed}, epoch {row.Epoch} is already given on line {earlier}");
            taken[key] = row.Line;
        }
        var result = new List<(Row, ZooCheckpointEntry)>();
        foreach (var row in rows)
        {
            int seed = row.Seed ?? Enumerable.Range(0, int.MaxValue).First(s => !taken.ContainsKey((row.Task.Id, s, row.Epoch)));
            taken.TryAdd((row.Task.Id, seed, row.Epoch), row.Line);
            result.Add((row, new ZooCheckpointEntry
            {
                File = ZooCheckpointEntry.PathFor(row.Task.Id, seed, row.Epoch),
                Task = row.Task.Id, Seed = seed, Epoch = row.Epoch,
                TrainAccuracy = row.TrainAccuracy, TestAccuracy = row.TestAccuracy,
            }));
        }
        return result;
    }

    static TaskSpec ParseTask(string? text, string where, IReadOnlyDictionary<string, IReadOnlyList<string>> domainClassNames)
    {
        if (text == null) throw new FormatException($"{where}: no task given (expected \"domain:c0-c1-...\")");
        try { return TaskSpec.Parse(text, domainClassNames); }
        catch (FormatException e) { throw new FormatException($"{where}: {e.Message}", e); }
    }

    static int? ParseInt(string? text, string where) =>
        text == null ? null
        : int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) ? value
        : throw new FormatException($"{where}: \"{text}\" is not a whole number");

    static double? ParseAccuracy(string? text, string where)
    {
        if (text == null) return null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value >= 0 && value <= 1))
            throw new FormatException($"{where}: \"{text}\" is not an accuracy between 0 and 1");
        return value;
    }

    /// <summary>The cells of one CSV line: commas separate, double quotes enclose cells that contain commas ("" is a quote).</summary>
    static string[] SplitLine(string line, string csvPath, int lineNumber)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c != '"') cell.Append(c);
                else if (i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
                else quoted = false;
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(c);
        }
        if (quoted) throw new FormatException($"{csvPath}, line {lineNumber}: a quoted cell is not closed");
        cells.Add(cell.ToString());
        return cells.ToArray();
    }
}

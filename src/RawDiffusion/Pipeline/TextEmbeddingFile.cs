using RawDiffusion.IO;

namespace RawDiffusion.Pipeline;

/// <summary>
/// User-provided task embeddings (condition.text.encoder "embeddings"): a .npy file [tasks, D] of any numeric dtype,
/// read by the project's own NPY reader, and a text file with one task id per line naming its rows in order (blank
/// lines and lines starting with # are skipped). People with a sentence encoder embed each task's description
/// themselves and hand the vectors over this way.
/// </summary>
public sealed class TextEmbeddingFile
{
    readonly Dictionary<string, float[]> rows;

    TextEmbeddingFile(Dictionary<string, float[]> rows, int length, string source)
    {
        this.rows = rows;
        Length = length;
        Source = source;
    }

    /// <summary>Values per task.</summary>
    public int Length { get; }
    public string Source { get; }
    public IEnumerable<string> TaskIds => rows.Keys;

    public static TextEmbeddingFile Load(string embeddingsPath, string tasksPath)
    {
        if (!File.Exists(embeddingsPath)) throw new FileNotFoundException($"condition.text.embeddings: {embeddingsPath} not found", embeddingsPath);
        if (!File.Exists(tasksPath)) throw new FileNotFoundException($"condition.text.tasks: {tasksPath} not found", tasksPath);
        var array = NpyFile.Read(embeddingsPath);
        var ids = File.ReadAllLines(tasksPath).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        if (array.Shape.Length != 2 || array.Shape[0] < 1 || array.Shape[1] < 1)
            throw new FormatException($"{embeddingsPath}: task embeddings must be a 2-D array [tasks, D], got shape [{string.Join(", ", array.Shape)}]");
        if (array.Shape[0] != ids.Length)
            throw new FormatException($"{embeddingsPath}: {array.Shape[0]} rows, but {tasksPath} names {ids.Length} tasks (one task id per line, one row per task)");
        int length = checked((int)array.Shape[1]);
        var values = array.ToFloat32();
        var rows = new Dictionary<string, float[]>();
        for (int i = 0; i < ids.Length; i++)
        {
            try { TaskSpecParse(ids[i]); }
            catch (FormatException e) { throw new FormatException($"{tasksPath}: line {i + 1}: {e.Message}", e); }
            if (!rows.TryAdd(ids[i], values.AsSpan(i * length, length).ToArray()))
                throw new FormatException($"{tasksPath}: task {ids[i]} is listed twice");
            int bad = Array.FindIndex(rows[ids[i]], v => !float.IsFinite(v));
            if (bad >= 0) throw new FormatException($"{embeddingsPath}: row {i} (task {ids[i]}) holds a non-finite value at column {bad}");
        }
        return new TextEmbeddingFile(rows, length, embeddingsPath);
    }

    /// <summary>A single embedding given on the command line (--text-embedding): a .npy vector [D] or [1, D].</summary>
    public static float[] LoadOne(string path, int length)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--text-embedding: {path} not found", path);
        var array = NpyFile.Read(path);
        if (!(array.Shape.Length == 1 || (array.Shape.Length == 2 && array.Shape[0] == 1)) || array.Shape[^1] != length)
            throw new FormatException($"{path}: a task embedding must have shape [{length}] or [1, {length}] (the run's condition.text.embeddings has {length} columns), got [{string.Join(", ", array.Shape)}]");
        var values = array.ToFloat32();
        int bad = Array.FindIndex(values, v => !float.IsFinite(v));
        if (bad >= 0) throw new FormatException($"{path}: value {bad} is not finite");
        return values;
    }

    public bool Contains(string taskId) => rows.ContainsKey(taskId);

    public float[] For(string taskId) => rows.TryGetValue(taskId, out var row) ? row
        : throw new ArgumentException($"task {taskId} has no row in {Source} (the task list condition.text.tasks names {rows.Count} tasks); add its embedding, or give one with --text-embedding");

    static void TaskSpecParse(string id) => Tasks.TaskSpec.Parse(id, Data.Datasets.ClassNamesByDomain);
}

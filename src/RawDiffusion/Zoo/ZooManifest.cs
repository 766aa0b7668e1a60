using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using RawDiffusion.IO;
using RawDiffusion.Models;
using RawDiffusion.Tasks;

namespace RawDiffusion.Zoo;

/// <summary>
/// zoo.json, the index of a model zoo folder: the architecture every network shares (its classes = every task's
/// class count), the input features, the data, the tasks and one entry per checkpoint file. Loading checks the whole
/// file (unknown keys, the format tag, tasks, duplicates, missing files) so later stages can trust it; saving
/// replaces the file atomically.
/// </summary>
public sealed record ZooManifest
{
    public const string FormatTag = "rawdiffusion-zoo/1";
    public const string FileName = "zoo.json";

    public string Format { get; init; } = FormatTag;
    public TargetArchitecture Architecture { get; init; } = null!;
    public ZooFeatures Features { get; init; } = null!;
    public ZooData Data { get; init; } = null!;
    /// <summary>How the networks were trained; null for imported zoos.</summary>
    public ZooTraining? Training { get; init; }
    /// <summary>"i/n" in the partial manifest one shard of a build writes; null in zoo.json.</summary>
    public string? Shard { get; init; }
    public List<ZooTask> Tasks { get; init; } = [];
    public List<ZooCheckpointEntry> Checkpoints { get; init; } = [];

    internal static readonly JsonSerializerOptions JsonOptions = new(ModelConfig.JsonOptions)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The tasks as <see cref="TaskSpec"/>s, in manifest order.</summary>
    public IReadOnlyList<TaskSpec> TaskSpecs() => Tasks.Select(t => t.ToTaskSpec()).ToArray();

    /// <summary>The checkpoints of one task, in manifest order.</summary>
    public IReadOnlyList<ZooCheckpointEntry> EntriesFor(string taskId) => Checkpoints.Where(c => c.Task == taskId).ToArray();

    /// <summary>The checkpoints grouped by task id, tasks in manifest order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<ZooCheckpointEntry>> EntriesByTask() =>
        Tasks.ToDictionary(t => t.Id, t => EntriesFor(t.Id));

    /// <summary>The full path of an entry's checkpoint file in the zoo folder.</summary>
    public static string PathOf(string folder, ZooCheckpointEntry entry) => Path.Combine(folder, entry.File);

    /// <summary>Reads and checks <c>folder/zoo.json</c>, including that every checkpoint file exists.</summary>
    public static ZooManifest Load(string folder) => LoadFile(Path.Combine(folder, FileName), folder);

    /// <summary>Reads and checks a manifest file whose checkpoint paths are relative to <paramref name="zooFolder"/>.</summary>
    internal static ZooManifest LoadFile(string path, string zooFolder)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no zoo manifest here", path);
        var manifest = Parse(File.ReadAllText(path), path);
        manifest.Validate(path, zooFolder);
        return manifest;
    }

    /// <summary>Parses manifest JSON without checking it (see <see cref="Validate"/>).</summary>
    public static ZooManifest Parse(string json, string source)
    {
        ZooManifest? manifest;
        try { manifest = JsonSerializer.Deserialize<ZooManifest>(json, JsonOptions); }
        catch (JsonException e) { throw new FormatException($"{source}: {e.Message}", e); }
        return manifest ?? throw new FormatException($"{source}: the file holds null, not a zoo manifest");
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Checks the manifest and writes it to <c>folder/zoo.json</c> atomically (no reader ever sees half a file).</summary>
    public void Save(string folder) => SaveFile(Path.Combine(folder, FileName), folder);

    internal void SaveFile(string path, string zooFolder)
    {
        Validate(path, zooFolder);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var bytes = Encoding.UTF8.GetBytes(ToJson() + "\n");
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>
    /// Checks every field; <paramref name="source"/> names the file in errors. With a <paramref name="zooFolder"/>,
    /// also checks that every checkpoint file exists there.
    /// </summary>
    public void Validate(string source, string? zooFolder = null)
    {
        if (Format != FormatTag) throw new FormatException($"{source}: field \"format\" is \"{Format}\", expected \"{FormatTag}\"");
        if (Architecture == null) throw new FormatException($"{source}: field \"architecture\" is missing");
        Architecture.Validate($"{source}: architecture");
        if (Features == null) throw new FormatException($"{source}: field \"features\" is missing");
        Features.Validate(source);
        if (Features.Length != Architecture.Inputs)
            throw new FormatException($"{source}: field \"features.length\" is {Features.Length} but architecture \"{Architecture.Name}\" takes {Architecture.Inputs} inputs");
        if (Data == null) throw new FormatException($"{source}: field \"data\" is missing");
        if (Data.Domain == null || Data.Train == null || Data.Test == null)
            throw new FormatException($"{source}: field \"data\" needs strings \"domain\", \"train\" and \"test\"");
        Training?.Validate(source);
        if (Shard != null)
        {
            try { ShardSpec.Parse(Shard); }
            catch (FormatException e) { throw new FormatException($"{source}: field \"shard\": {e.Message}", e); }
        }
        ValidateTasks(source);
        ValidateCheckpoints(source, zooFolder);
    }

    void ValidateTasks(string source)
    {
        if (Tasks == null || Tasks.Count == 0) throw new FormatException($"{source}: field \"tasks\" must list at least one task");
        var ids = new HashSet<string>();
        for (int i = 0; i < Tasks.Count; i++)
        {
            string where = $"{source}: tasks[{i}]";
            var task = Tasks[i] ?? throw new FormatException($"{where} is null");
            task.Validate($"{where} (\"{task.Id}\")");
            if (!ids.Add(task.Id)) throw new FormatException($"{where}: task \"{task.Id}\" is listed twice");
            if (task.Classes.Length != Architecture.Classes)
                throw new FormatException($"{where} (\"{task.Id}\"): {task.Classes.Length} classes, but architecture \"{Architecture.Name}\" has field \"classes\" = {Architecture.Classes}");
        }
    }

    void ValidateCheckpoints(string source, string? zooFolder)
    {
        if (Checkpoints == null) throw new FormatException($"{source}: field \"checkpoints\" is missing");
        var tasks = Tasks.Select(t => t.Id).ToHashSet();
        var keys = new HashSet<(string, int, int)>();
        var files = new HashSet<string>();
        for (int i = 0; i < Checkpoints.Count; i++)
        {
            var entry = Checkpoints[i] ?? throw new FormatException($"{source}: checkpoints[{i}] is null");
            string where = $"{source}: checkpoints[{i}] (file \"{entry.File}\")";
            if (string.IsNullOrWhiteSpace(entry.File) || Path.IsPathRooted(entry.File))
                throw new FormatException($"{where}: field \"file\" must be a path relative to the zoo folder");
            if (!tasks.Contains(entry.Task)) throw new FormatException($"{where}: field \"task\" names \"{entry.Task}\", which is not one of the manifest's tasks");
            if (entry.Epoch < 0) throw new FormatException($"{where}: field \"epoch\" must not be negative (got {entry.Epoch})");
            CheckAccuracy(entry.TrainAccuracy, "trainAccuracy");
            CheckAccuracy(entry.TestAccuracy, "testAccuracy");
            if (!keys.Add((entry.Task, entry.Seed, entry.Epoch)))
                throw new FormatException($"{where}: task \"{entry.Task}\", seed {entry.Seed}, epoch {entry.Epoch} has another checkpoint before it");
            if (!files.Add(entry.File)) throw new FormatException($"{where}: field \"file\" is used by an earlier checkpoint too");
            if (zooFolder != null && !File.Exists(PathOf(zooFolder, entry)))
                throw new FileNotFoundException($"{where}: field \"file\" names a file that does not exist ({PathOf(zooFolder, entry)})", PathOf(zooFolder, entry));

            void CheckAccuracy(double? value, string field)
            {
                if (value is { } v && !(v >= 0 && v <= 1)) throw new FormatException($"{where}: field \"{field}\" must lie in [0, 1] (got {v})");
            }
        }
    }

    /// <summary>
    /// The first field among architecture, features, data, training and tasks in which the two manifests describe
    /// different zoos, or null when they describe the same one (checkpoints and shard aside).
    /// </summary>
    internal string? DifferenceFrom(ZooManifest other)
    {
        string Json<T>(T value) => JsonSerializer.Serialize(value, JsonOptions);
        if (Json(Architecture) != Json(other.Architecture)) return "architecture";
        if (Json(Features) != Json(other.Features)) return "features";
        if (Json(Data) != Json(other.Data)) return "data";
        if (Json(Training) != Json(other.Training)) return "training";
        if (Json(Tasks) != Json(other.Tasks)) return "tasks";
        return null;
    }
}

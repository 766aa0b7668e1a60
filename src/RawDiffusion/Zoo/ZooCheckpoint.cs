using System.Globalization;
using RawDiffusion.IO;

namespace RawDiffusion.Zoo;

/// <summary>
/// One zoo network as a float32 safetensors file: the architecture's tensors under their state-dict keys, and in the
/// header's metadata what the network is (format tag, architecture name, task, classes, seed, epoch, accuracies), so
/// a file identifies itself even without zoo.json. Written atomically; reads check every name and shape.
/// </summary>
public static class ZooCheckpoint
{
    public const string FormatTag = "rawdiffusion-zoo-checkpoint/1";
    public const string FormatKey = "format", ArchitectureKey = "architecture", TaskKey = "task", ClassesKey = "classes",
        SeedKey = "seed", EpochKey = "epoch", TrainAccuracyKey = "train_accuracy", TestAccuracyKey = "test_accuracy";

    /// <summary>
    /// Writes <paramref name="tensors"/> (every tensor of <paramref name="architecture"/>, nothing else) with the
    /// entry's task, seed, epoch and accuracies; the entry's file name is not stored (the zoo folder decides it).
    /// </summary>
    public static void Write(string path, TargetArchitecture architecture, IReadOnlyDictionary<string, float[]> tensors, ZooCheckpointEntry entry)
    {
        var entries = WeightsFile.Entries(path, architecture, tensors);
        var metadata = new Dictionary<string, string>
        {
            [FormatKey] = FormatTag,
            [ArchitectureKey] = architecture.Name,
            [TaskKey] = entry.Task,
            [ClassesKey] = architecture.Classes.ToString(CultureInfo.InvariantCulture),
            [SeedKey] = entry.Seed.ToString(CultureInfo.InvariantCulture),
            [EpochKey] = entry.Epoch.ToString(CultureInfo.InvariantCulture),
        };
        if (entry.TrainAccuracy is { } train) metadata[TrainAccuracyKey] = train.ToString("R", CultureInfo.InvariantCulture);
        if (entry.TestAccuracy is { } test) metadata[TestAccuracyKey] = test.ToString("R", CultureInfo.InvariantCulture);

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        SafeTensorsWriter.Write(path, entries, metadata, SafeTensorDType.F32);
    }

    /// <summary>
    /// The tensors of a checkpoint of <paramref name="architecture"/> and its entry (File = <paramref name="path"/>).
    /// Errors name the file and the tensor or metadata key.
    /// </summary>
    public static (Dictionary<string, float[]> Tensors, ZooCheckpointEntry Entry) Read(string path, TargetArchitecture architecture)
    {
        using var file = Open(path);
        var entry = EntryOf(file, path);
        string architectureName = file.Metadata[ArchitectureKey];
        if (architectureName != architecture.Name)
            throw new FormatException($"{path}: metadata \"{ArchitectureKey}\" is \"{architectureName}\", expected \"{architecture.Name}\"");
        int classes = ParseInt(file, path, ClassesKey);
        if (classes != architecture.Classes)
            throw new FormatException($"{path}: metadata \"{ClassesKey}\" is {classes}, architecture \"{architecture.Name}\" has {architecture.Classes}");

        var tensors = WeightsFile.ReadTensors(file, path, architecture, float32Only: true);
        return (tensors, entry);
    }

    /// <summary>The entry a checkpoint's metadata describes (File = <paramref name="path"/>), without reading its tensors.</summary>
    public static ZooCheckpointEntry ReadEntry(string path)
    {
        using var file = Open(path);
        return EntryOf(file, path);
    }

    static SafeTensorsFile Open(string path) => WeightsFile.Open(path, path, "zoo checkpoint");

    static ZooCheckpointEntry EntryOf(SafeTensorsFile file, string path)
    {
        var metadata = file.Metadata;
        if (!metadata.TryGetValue(FormatKey, out var format) || format != FormatTag)
            throw new FormatException($"{path}: metadata \"{FormatKey}\" is {(format == null ? "missing" : $"\"{format}\"")}, expected \"{FormatTag}\"");
        foreach (var key in new[] { ArchitectureKey, TaskKey, ClassesKey, SeedKey, EpochKey })
            if (!metadata.ContainsKey(key)) throw new FormatException($"{path}: metadata \"{key}\" is missing");
        return new ZooCheckpointEntry
        {
            File = path,
            Task = metadata[TaskKey],
            Seed = ParseInt(file, path, SeedKey),
            Epoch = ParseInt(file, path, EpochKey),
            TrainAccuracy = ParseAccuracy(file, path, TrainAccuracyKey),
            TestAccuracy = ParseAccuracy(file, path, TestAccuracyKey),
        };
    }

    static int ParseInt(SafeTensorsFile file, string path, string key) =>
        int.TryParse(file.Metadata[key], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
            ? value : throw new FormatException($"{path}: metadata \"{key}\" is \"{file.Metadata[key]}\", not a whole number");

    static double? ParseAccuracy(SafeTensorsFile file, string path, string key)
    {
        if (!file.Metadata.TryGetValue(key, out var text)) return null;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value : throw new FormatException($"{path}: metadata \"{key}\" is \"{text}\", not a number");
    }
}

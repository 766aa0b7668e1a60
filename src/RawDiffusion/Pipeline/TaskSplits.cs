using System.Text.Json;
using RawDiffusion.Data;
using RawDiffusion.IO;
using RawDiffusion.Models;
using RawDiffusion.Tasks;
using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>The tasks of a run, recorded in tasks.json: the zoo's (seen) tasks, unseen class combinations of the same
/// domain, and tasks of a domain the zoo never sees.</summary>
public sealed record TaskSplits(IReadOnlyList<TaskSpec> Seen, IReadOnlyList<TaskSpec> Unseen, IReadOnlyList<TaskSpec> CrossDomain)
{
    public static TaskSplits Draw(TaskConfig config)
    {
        var names = Domains.ClassNames(config.Domain);
        var seen = TaskFamily.Draw(config.Domain, names, config.ClassesPerTask, config.Seen, (ulong)config.Seed);
        var unseen = config.Unseen == 0 ? [] : TaskFamily.Draw(config.Domain, names, config.ClassesPerTask, config.Unseen, (ulong)config.Seed + 1, seen);
        var cross = config.CrossDomainTasks == 0 ? [] : TaskFamily.Draw(config.CrossDomain, Domains.ClassNames(config.CrossDomain), config.ClassesPerTask, config.CrossDomainTasks, (ulong)config.Seed + 2);
        return new TaskSplits(seen, unseen, cross);
    }

    sealed record Stored(List<ZooTask> Seen, List<ZooTask> Unseen, List<ZooTask> CrossDomain);

    public void Save(string path) => AtomicFile.Write(path, s => JsonSerializer.Serialize(s,
        new Stored(Seen.Select(ZooTask.From).ToList(), Unseen.Select(ZooTask.From).ToList(), CrossDomain.Select(ZooTask.From).ToList()), ModelConfig.JsonOptions));

    public static TaskSplits Load(string path)
    {
        Stored? s;
        try { s = JsonSerializer.Deserialize<Stored>(File.ReadAllText(path), ModelConfig.JsonOptions); }
        catch (JsonException e) { throw new FormatException($"{path}: {e.Message}", e); }
        if (s == null) throw new FormatException($"{path}: holds null, not the task lists");
        return new TaskSplits(s.Seen.Select(t => t.ToTaskSpec()).ToArray(), s.Unseen.Select(t => t.ToTaskSpec()).ToArray(), s.CrossDomain.Select(t => t.ToTaskSpec()).ToArray());
    }
}

/// <summary>The labelled image domains shipped in data/ (or found through RAWDIFFUSION_DATA).</summary>
public static class Domains
{
    public const string FashionMnist = Datasets.FashionMnistFolder, MnistDigits = Datasets.MnistDigitsFolder;

    public static IReadOnlyList<string> ClassNames(string domain) =>
        Datasets.ClassNamesByDomain.TryGetValue(domain, out var names) ? names : throw new ArgumentException($"unknown domain \"{domain}\" (choose from {FashionMnist}, {MnistDigits})");

    public static FeatureSet Images(string domain, Split split, string? dataRoot) => FeatureSet.FromImages(domain switch
    {
        FashionMnist => Datasets.FashionMnist(split, dataRoot),
        MnistDigits => Datasets.MnistDigits(split, dataRoot),
        _ => throw new ArgumentException($"unknown domain \"{domain}\" (choose from {FashionMnist}, {MnistDigits})"),
    }, $"{domain} {split.ToString().ToLowerInvariant()}");
}

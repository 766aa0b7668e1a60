using System.Text;
using System.Text.RegularExpressions;
using RawDiffusion.Tasks;
using RawDiffusion.Training;

namespace RawDiffusion.Zoo;

/// <summary>
/// Trains a model zoo: one network per (task, seed) job, jobs in a fixed order (tasks in order, seeds in order
/// within each), checkpoints of the last epochs written as they finish. A build can be split into shards that run
/// anywhere and are merged afterwards, and is restartable: jobs whose checkpoints are already on disk and read back
/// valid are skipped, so a killed or cancelled build resumes where it stopped. Each job's initialisation and
/// shuffling depend only on its seed and task id, so shards and resumed builds give bit-identical networks.
/// </summary>
public static partial class ZooBuilder
{
    public const string ShardsFolder = "shards";

    /// <summary>
    /// Trains this shard's jobs into <paramref name="folder"/>. The whole build (shard 1/1) writes zoo.json;
    /// shard i/n writes shards/shard-i-of-n.json, which <see cref="Merge"/> combines. Cancellation is honoured
    /// between jobs (OperationCanceledException); the checkpoints finished so far stay on disk for the next run.
    /// An existing manifest there that describes another zoo is an error and is never overwritten.
    /// </summary>
    public static ZooManifest Build(ZooBuildOptions options, FeatureSet train, FeatureSet test, string folder, ShardSpec shard,
                                    IProgress<ZooBuildProgress>? progress = null, CancellationToken cancel = default)
    {
        var plan = Plan(options, train, test);
        string manifestPath = shard.Count == 1 ? Path.Combine(folder, ZooManifest.FileName) : Path.Combine(folder, shard.ManifestPath);
        RefuseOtherZoo(Path.Combine(folder, ZooManifest.FileName), folder, plan);
        if (shard.Count > 1) RefuseOtherZoo(manifestPath, folder, plan);

        var jobs = Jobs(options).Where(j => shard.Takes(j.Index)).ToArray();
        var entries = new List<ZooCheckpointEntry>();
        for (int n = 0; n < jobs.Length; n++)
        {
            cancel.ThrowIfCancellationRequested();
            var (_, task, seed) = jobs[n];
            var existing = ReadFinishedJob(folder, options, task, seed);
            if (existing != null)
            {
                entries.AddRange(existing);
                progress?.Report(new ZooBuildProgress(n + 1, jobs.Length, task.Id, seed, options.Epochs, null, Skipped: true));
                continue;
            }
            entries.AddRange(TrainJob(options, train.ForTask(task), test.ForTask(task), folder, task, seed,
                r => progress?.Report(new ZooBuildProgress(n + 1, jobs.Length, task.Id, seed, options.Epochs, r, Skipped: false))));
        }

        var manifest = plan with { Shard = shard.Count == 1 ? null : shard.ToString(), Checkpoints = entries };
        manifest.SaveFile(manifestPath, folder);
        return manifest;
    }

    /// <summary>
    /// The seed of a job's initialisation and batch order, from the training seed and the task id (a stable hash,
    /// unlike string.GetHashCode, so every process and machine derives the same one).
    /// </summary>
    public static ulong JobSeed(int seed, string taskId)
    {
        ulong hash = 14695981039346656037UL; // FNV-1a
        foreach (byte b in Encoding.UTF8.GetBytes(taskId)) hash = (hash ^ b) * 1099511628211UL;
        ulong z = hash ^ ((ulong)(uint)seed * 0x9E3779B97F4A7C15UL); // SplitMix64 finaliser mixes the two
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The seed of a job's initial weights: its <see cref="JobSeed"/>, or with shared initialisation one seed per
    /// training seed whatever the task, so the networks of all tasks start from the same weights.</summary>
    public static ulong InitializationSeed(bool shared, int seed, string taskId) => shared ? JobSeed(seed, "") : JobSeed(seed, taskId);

    /// <summary>Every job of the build in its fixed order: tasks in order, seeds in order within each task.</summary>
    static IEnumerable<(int Index, TaskSpec Task, int Seed)> Jobs(ZooBuildOptions options)
    {
        int index = 0;
        foreach (var task in options.Tasks)
            foreach (var seed in options.Seeds)
                yield return (index++, task, seed);
    }

    /// <summary>The manifest without checkpoints, checked against the options and data.</summary>
    static ZooManifest Plan(ZooBuildOptions options, FeatureSet train, FeatureSet test)
    {
        if (options.Tasks.Count == 0) throw new ArgumentException("zoo build: no tasks given", nameof(options));
        foreach (var task in options.Tasks)
            if (task.ClassCount != options.Architecture.Classes)
                throw new ArgumentException($"zoo build: task {task.Id} has {task.ClassCount} classes, architecture \"{options.Architecture.Name}\" has {options.Architecture.Classes}", nameof(options));
        foreach (var (set, name) in new[] { (train, nameof(train)), (test, nameof(test)) })
            if (!set.SampleShape.SequenceEqual(options.Features.SampleShape))
                throw new ArgumentException($"zoo build: {set.Source} has rows shaped [{string.Join(", ", set.SampleShape)}], the features are [{string.Join(", ", options.Features.SampleShape)}]", name);
        var plan = new ZooManifest
        {
            Architecture = options.Architecture,
            Features = options.Features,
            Data = options.Data,
            Training = options.Training,
            Tasks = options.Tasks.Select(ZooTask.From).ToList(),
        };
        try { plan.Validate("zoo build options"); }
        catch (FormatException e) { throw new ArgumentException(e.Message, nameof(options), e); }
        return plan;
    }

    /// <summary>Refuses to build into a folder whose manifest at <paramref name="path"/> describes another zoo.</summary>
    static void RefuseOtherZoo(string path, string folder, ZooManifest plan)
    {
        if (!File.Exists(path)) return;
        var existing = ZooManifest.Parse(File.ReadAllText(path), path);
        if (existing.DifferenceFrom(plan) is { } field)
            throw new IOException($"{path} already describes a zoo with a different \"{field}\"; it is left as it is (build into another folder or delete it)");
    }

    /// <summary>The job's kept checkpoints if all exist and read back valid for this architecture, task, seed and epoch; else null.</summary>
    static List<ZooCheckpointEntry>? ReadFinishedJob(string folder, ZooBuildOptions options, TaskSpec task, int seed)
    {
        var entries = new List<ZooCheckpointEntry>();
        foreach (int epoch in options.Training.KeptEpochs())
        {
            string file = ZooCheckpointEntry.PathFor(task.Id, seed, epoch);
            string path = Path.Combine(folder, file);
            if (!File.Exists(path)) return null;
            ZooCheckpointEntry entry;
            try { entry = ZooCheckpoint.Read(path, options.Architecture).Entry; }
            catch (FormatException) { return null; } // damaged (e.g. truncated by a kill): train the job again
            if (entry.Task != task.Id || entry.Seed != seed || entry.Epoch != epoch) return null;
            entries.Add(entry with { File = file });
        }
        return entries;
    }

    static List<ZooCheckpointEntry> TrainJob(ZooBuildOptions options, FeatureSet train, FeatureSet test, string folder,
                                             TaskSpec task, int seed, Action<EpochResult> onEpoch)
    {
        ulong jobSeed = JobSeed(seed, task.Id);
        var kept = options.Training.KeptEpochs().ToHashSet();
        var entries = new List<ZooCheckpointEntry>();
        using var scope = DisposeScope.Enter();
        using var model = options.Architecture.Build(new Generator(InitializationSeed(options.SharedInitialization, seed, task.Id)));
        var training = new ClassifierTrainingOptions
        {
            Epochs = options.Epochs, BatchSize = options.BatchSize, LearningRate = options.LearningRate,
            WeightDecay = options.WeightDecay, Seed = jobSeed,
        };
        ClassifierTraining.Train(model, train, test, training, result =>
        {
            if (kept.Contains(result.Epoch))
            {
                var entry = new ZooCheckpointEntry
                {
                    File = ZooCheckpointEntry.PathFor(task.Id, seed, result.Epoch),
                    Task = task.Id, Seed = seed, Epoch = result.Epoch,
                    TrainAccuracy = ClassifierTraining.Accuracy(model, train),
                    TestAccuracy = result.TestAccuracy,
                };
                ZooCheckpoint.Write(Path.Combine(folder, entry.File), options.Architecture, TargetArchitecture.ReadTensors(model), entry);
                entries.Add(entry);
            }
            onEpoch(result);
        });
        return entries;
    }

    [GeneratedRegex(@"^shard-(\d+)-of-(\d+)\.json$")]
    private static partial Regex ShardFileName();

    /// <summary>
    /// Combines the n shard manifests in <c>folder/shards/</c> into zoo.json, entries in the order a whole build
    /// writes them. Every shard must be present and complete, and all must describe the same zoo.
    /// </summary>
    public static ZooManifest Merge(string folder)
    {
        string shardsFolder = Path.Combine(folder, ShardsFolder);
        var found = Directory.Exists(shardsFolder)
            ? Directory.EnumerateFiles(shardsFolder).Select(Path.GetFileName).Select(n => ShardFileName().Match(n!)).Where(m => m.Success)
                .Select(m => new ShardSpec(int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value))).ToArray()
            : [];
        if (found.Length == 0) throw new FileNotFoundException($"{shardsFolder}: no shard manifests (shard-<i>-of-<n>.json) to merge");
        var counts = found.Select(s => s.Count).Distinct().Order().ToArray();
        if (counts.Length > 1)
            throw new IOException($"{shardsFolder}: shard manifests of builds split {string.Join(" and ", counts.Select(c => $"{c} ways"))} are mixed; keep one build's shards");
        int count = counts[0];
        var missing = Enumerable.Range(1, count).Where(i => !found.Any(s => s.Index == i)).Select(i => new ShardSpec(i, count)).ToArray();
        if (missing.Length > 0)
            throw new FileNotFoundException($"{shardsFolder}: missing shard{(missing.Length > 1 ? "s" : "")} {string.Join(", ", missing.Select(s => $"{s} ({s.ManifestPath})"))}");

        var shards = Enumerable.Range(1, count).Select(i => new ShardSpec(i, count))
            .Select(s => (Spec: s, Path: Path.Combine(folder, s.ManifestPath))).ToArray();
        var manifests = shards.Select(s => ZooManifest.LoadFile(s.Path, folder)).ToArray();
        var first = manifests[0];
        if (first.Training == null) throw new FormatException($"{shards[0].Path}: field \"training\" is missing; only built shards can be merged");
        var byKey = new Dictionary<(string, int, int), (ZooCheckpointEntry Entry, string Shard)>();
        for (int i = 0; i < shards.Length; i++)
        {
            var (spec, path) = shards[i];
            var manifest = manifests[i];
            if (manifest.Shard != spec.ToString()) throw new FormatException($"{path}: field \"shard\" is \"{manifest.Shard}\", expected \"{spec}\"");
            if (manifest.DifferenceFrom(first) is { } field)
                throw new FormatException($"{path}: field \"{field}\" differs from {shards[0].Path}; the shards come from different builds");
            foreach (var entry in manifest.Checkpoints)
            {
                if (byKey.TryGetValue((entry.Task, entry.Seed, entry.Epoch), out var other))
                    throw new FormatException($"{path}: task \"{entry.Task}\", seed {entry.Seed}, epoch {entry.Epoch} is also in {other.Shard}");
                byKey[(entry.Task, entry.Seed, entry.Epoch)] = (entry, path);
            }
        }

        // Expected entries, in the order a whole build writes them; anything else means a shard is incomplete or foreign.
        var training = first.Training;
        var merged = new List<ZooCheckpointEntry>();
        int job = 0;
        foreach (var task in first.Tasks)
            foreach (var seed in training.Seeds)
            {
                var shard = shards[job++ % count];
                foreach (int epoch in training.KeptEpochs())
                {
                    if (!byKey.Remove((task.Id, seed, epoch), out var found1))
                        throw new FormatException($"{shard.Path}: no checkpoint of task \"{task.Id}\", seed {seed}, epoch {epoch}; that shard's build did not finish");
                    merged.Add(found1.Entry);
                }
            }
        foreach (var ((task, seed, epoch), (_, path)) in byKey)
            throw new FormatException($"{path}: task \"{task}\", seed {seed}, epoch {epoch} is not part of the build's jobs and kept epochs");

        string zooPath = Path.Combine(folder, ZooManifest.FileName);
        RefuseOtherZoo(zooPath, folder, first);
        var result = first with { Shard = null, Checkpoints = merged };
        result.Save(folder);
        return result;
    }
}

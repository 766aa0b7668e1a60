using RawDiffusion.Tests.IO;
using RawDiffusion.Training;
using RawDiffusion.Zoo;

namespace RawDiffusion.Tests.Zoo;

public class ZooBuilderTests
{
    static string[] CheckpointFiles(string folder) =>
        Directory.EnumerateFiles(Path.Combine(folder, "checkpoints"), "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Order().ToArray();

    [Fact]
    public void BuildWritesAManifestAndCheckpointsWhoseAccuraciesMatchTheLoadedNetworks()
    {
        using var temp = new TempFolder();
        var built = ZooTestData.Build(temp.Path);
        var manifest = ZooManifest.Load(temp.Path);
        Assert.Equal(built.ToJson(), manifest.ToJson());
        Assert.Equal(ZooManifest.FormatTag, manifest.Format);
        Assert.Null(manifest.Shard);
        Assert.Equal(ZooTestData.Tasks.Select(t => t.Id), manifest.Tasks.Select(t => t.Id));
        Assert.Equal(ZooTestData.Tasks, manifest.TaskSpecs());

        // 2 tasks x 2 seeds x the last 2 of 2 epochs, in job order (task, seed) then epoch.
        var expected = from t in ZooTestData.Tasks from s in new[] { 0, 1 } from e in new[] { 1, 2 } select (t.Id, s, e);
        Assert.Equal(expected, manifest.Checkpoints.Select(c => (c.Task, c.Seed, c.Epoch)));
        Assert.Equal("checkpoints/fashion-mnist_5-3-7/seed1-epoch2.safetensors", manifest.Checkpoints[7].File);
        Assert.Equal(manifest.Checkpoints.Select(c => c.File).Order(), CheckpointFiles(temp.Path));
        Assert.Equal(4, manifest.EntriesFor(ZooTestData.Tasks[1].Id).Count);

        foreach (var entry in manifest.Checkpoints)
        {
            var task = manifest.Tasks.Single(t => t.Id == entry.Task).ToTaskSpec();
            var (tensors, stored) = ZooCheckpoint.Read(ZooManifest.PathOf(temp.Path, entry), ZooTestData.Architecture);
            Assert.Equal(entry with { File = "" }, stored with { File = "" });
            using var model = ZooTestData.Architecture.Load(tensors);
            Assert.Equal(entry.TestAccuracy, ClassifierTraining.Accuracy(model, ZooTestData.Test.ForTask(task)));
            Assert.Equal(entry.TrainAccuracy, ClassifierTraining.Accuracy(model, ZooTestData.Train.ForTask(task)));
            Assert.True(entry.TestAccuracy > 0.6, $"{entry.File}: test accuracy {entry.TestAccuracy} is not better than chance");
        }
        // Different seeds start from different initialisations.
        var a = ZooCheckpoint.Read(ZooManifest.PathOf(temp.Path, manifest.Checkpoints[0]), ZooTestData.Architecture).Tensors;
        var b = ZooCheckpoint.Read(ZooManifest.PathOf(temp.Path, manifest.Checkpoints[2]), ZooTestData.Architecture).Tensors;
        Assert.NotEqual(a["1.weight"], b["1.weight"]);
    }

    [Fact]
    public void TwoShardsMergedEqualTheWholeBuildBitForBit()
    {
        using var whole = new TempFolder();
        using var sharded = new TempFolder();
        var reference = ZooTestData.Build(whole.Path);
        var first = ZooTestData.Build(sharded.Path, ShardSpec.Parse("1/2"));
        Assert.False(File.Exists(Path.Combine(sharded.Path, ZooManifest.FileName)));
        Assert.Equal("1/2", first.Shard);
        Assert.True(File.Exists(Path.Combine(sharded.Path, "shards", "shard-1-of-2.json")));
        // Shard 1 takes jobs 0 and 2: task 0 seed 0 and task 1 seed 0.
        Assert.Equal([(ZooTestData.Tasks[0].Id, 0), (ZooTestData.Tasks[1].Id, 0)], first.Checkpoints.Select(c => (c.Task, c.Seed)).Distinct());
        ZooTestData.Build(sharded.Path, ShardSpec.Parse("2/2"));

        var merged = ZooBuilder.Merge(sharded.Path);
        Assert.Equal(reference.ToJson(), merged.ToJson());
        Assert.Equal(reference.ToJson(), ZooManifest.Load(sharded.Path).ToJson());
        foreach (var entry in reference.Checkpoints)
            Assert.Equal(File.ReadAllBytes(ZooManifest.PathOf(whole.Path, entry)), File.ReadAllBytes(ZooManifest.PathOf(sharded.Path, entry)));
    }

    [Fact]
    public void MergeNamesMissingShardsAndShardsOfAnotherBuild()
    {
        using var temp = new TempFolder();
        Assert.Throws<FileNotFoundException>(() => ZooBuilder.Merge(temp.Path));
        ZooTestData.Build(temp.Path, new ShardSpec(2, 3));
        var missing = Assert.Throws<FileNotFoundException>(() => ZooBuilder.Merge(temp.Path));
        Assert.Contains("1/3", missing.Message);
        Assert.Contains("3/3", missing.Message);
        Assert.DoesNotContain("2/3", missing.Message);

        // Shard 1/3 and 3/3 of a build with another learning rate (their jobs need not be trained to be compared).
        foreach (var index in new[] { 1, 3 })
        {
            var path = Path.Combine(temp.Path, "shards", $"shard-{index}-of-3.json");
            var other = ZooManifest.Parse(File.ReadAllText(Path.Combine(temp.Path, "shards", "shard-2-of-3.json")), "shard 2")
                with { Shard = $"{index}/3", Checkpoints = [], Training = ZooTestData.Options.Training with { LearningRate = 0.5 } };
            File.WriteAllText(path, other.ToJson());
        }
        var differs = Assert.Throws<FormatException>(() => ZooBuilder.Merge(temp.Path));
        Assert.Contains("shard-2-of-3.json", differs.Message);
        Assert.Contains("training", differs.Message);
        Assert.False(File.Exists(Path.Combine(temp.Path, ZooManifest.FileName)));
    }

    [Fact]
    public void ARebuildRetrainsOnlyTheJobWhoseCheckpointIsGoneAndGivesTheSameBits()
    {
        using var temp = new TempFolder();
        var manifest = ZooTestData.Build(temp.Path);
        var bytes = manifest.Checkpoints.ToDictionary(c => c.File, c => File.ReadAllBytes(ZooManifest.PathOf(temp.Path, c)));
        var times = manifest.Checkpoints.ToDictionary(c => c.File, c => File.GetLastWriteTimeUtc(ZooManifest.PathOf(temp.Path, c)));
        var deleted = manifest.Checkpoints[5]; // task 1, seed 0, epoch 2
        File.Delete(ZooManifest.PathOf(temp.Path, deleted));
        // A truncated file (a build killed while writing without the atomic rename) counts as unfinished too.
        var truncated = manifest.Checkpoints[0];
        var truncatedPath = ZooManifest.PathOf(temp.Path, truncated);
        File.WriteAllBytes(truncatedPath, bytes[truncated.File][..40]);

        var log = new ProgressLog();
        var rebuilt = ZooTestData.Build(temp.Path, progress: log);
        Assert.Equal(manifest.ToJson(), rebuilt.ToJson());
        var trained = log.Reports.Where(r => !r.Skipped).Select(r => (r.TaskId, r.Seed)).Distinct().ToArray();
        Assert.Equal([(truncated.Task, truncated.Seed), (deleted.Task, deleted.Seed)], trained);
        Assert.Equal(2, log.Reports.Count(r => r.Skipped));
        foreach (var entry in manifest.Checkpoints)
        {
            var path = ZooManifest.PathOf(temp.Path, entry);
            Assert.Equal(bytes[entry.File], File.ReadAllBytes(path));
            if (entry.Task == deleted.Task && entry.Seed == deleted.Seed || entry.Task == truncated.Task && entry.Seed == truncated.Seed) continue;
            Assert.Equal(times[entry.File], File.GetLastWriteTimeUtc(path));
        }
    }

    [Fact]
    public void CancellationStopsBetweenJobsAndKeepsFinishedCheckpoints()
    {
        using var temp = new TempFolder();
        using var cancel = new CancellationTokenSource();
        var log = new ProgressLog(r => { if (r.Job == 1 && r.Epoch?.Epoch == 2) cancel.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => ZooTestData.Build(temp.Path, progress: log, cancel: cancel.Token));
        Assert.All(log.Reports, r => Assert.Equal(1, r.Job));
        Assert.False(File.Exists(Path.Combine(temp.Path, ZooManifest.FileName)));
        var task = ZooTestData.Tasks[0].Id;
        var finished = new[] { 1, 2 }.Select(e => Path.Combine(temp.Path, ZooCheckpointEntry.PathFor(task, 0, e))).ToArray();
        foreach (var path in finished)
            Assert.Equal(0, ZooCheckpoint.Read(path, ZooTestData.Architecture).Entry.Seed);
        Assert.Equal(finished.Select(f => Path.GetRelativePath(temp.Path, f).Replace('\\', '/')).Order(), CheckpointFiles(temp.Path));

        var resumed = new ProgressLog();
        var manifest = ZooTestData.Build(temp.Path, progress: resumed);
        Assert.Equal(8, manifest.Checkpoints.Count);
        Assert.True(resumed.Reports[0].Skipped);
        Assert.Equal(1, resumed.Reports.Count(r => r.Skipped));
    }

    [Fact]
    public void AnExistingZooOfAnotherArchitectureIsNeitherUsedNorOverwritten()
    {
        using var temp = new TempFolder();
        var manifestPath = ZooTestData.WriteSmallZoo(temp.Path);
        var other = ZooManifest.Parse(File.ReadAllText(manifestPath), "zoo") with
        {
            Architecture = ZooTestData.Architecture with { Hidden = [4] },
            Checkpoints = [],
        };
        File.WriteAllText(manifestPath, other.ToJson());
        var before = File.ReadAllBytes(manifestPath);
        var error = Assert.Throws<IOException>(() => ZooTestData.Build(temp.Path));
        Assert.Contains(manifestPath, error.Message);
        Assert.Contains("architecture", error.Message);
        Assert.Equal(before, File.ReadAllBytes(manifestPath));
    }

    [Fact]
    public void JobSeedsAreStableAndDistinct()
    {
        Assert.Equal(ZooBuilder.JobSeed(0, "fashion-mnist:0-1-2"), ZooBuilder.JobSeed(0, "fashion-mnist:0-1-2"));
        var seeds = new[] { ZooBuilder.JobSeed(0, "a:0-1"), ZooBuilder.JobSeed(1, "a:0-1"), ZooBuilder.JobSeed(0, "a:1-0") };
        Assert.Equal(3, seeds.Distinct().Count());
    }
}

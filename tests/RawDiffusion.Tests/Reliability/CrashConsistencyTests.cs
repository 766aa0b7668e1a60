using System.Text.RegularExpressions;
using RawDiffusion.Pipeline;
using RawDiffusion.Tests.Data;
using RawDiffusion.Tests.Pipeline;

namespace RawDiffusion.Tests.Reliability;

/// <summary>Child-process tests share the two CI cores, so they run one at a time.</summary>
[CollectionDefinition(nameof(TrainerProcessCollection), DisableParallelization = true)]
public sealed class TrainerProcessCollection;

/// <summary>
/// The real trainer, killed with SIGKILL at random points of every stage (backbone, zoo, VAE, dataset encoder,
/// diffusion, report; `zoo build`, `train`, `sample`) and resumed, ends with the same files, byte for byte, as an
/// uninterrupted run of the tiny pipeline. The random points come from a seed printed on failure
/// (RAWDIFFUSION_CRASH_SEED repeats one).
/// </summary>
[Collection(nameof(TrainerProcessCollection))]
public class CrashConsistencyTests(ITestOutputHelper log)
{
    static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);

    /// <summary>An uninterrupted run of the tiny config, made once by the child process.</summary>
    sealed class Reference
    {
        public Reference()
        {
            Files = new TempFolder();
            Config = TinyPipeline.WriteTo(Files.File("tiny.json"));
            Run = Files.File("reference");
            var (code, output) = TrainerProcess.Run(Limit, "run", "--config", Config, "--out", Run);
            Assert.True(code == 0, $"the uninterrupted run failed ({code}):\n{output}");
        }

        public TempFolder Files { get; }
        public string Config { get; }
        public string Run { get; }
    }

    static readonly Lazy<Reference> reference = new(() => new Reference(), LazyThreadSafetyMode.ExecutionAndPublication);

    static int Seed() => Environment.GetEnvironmentVariable("RAWDIFFUSION_CRASH_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();

    /// <summary>Where a kill lands: a condition on the trainer's output and run folder, then a random delay.</summary>
    sealed record KillPoint(string Stage, Func<string, string, bool> Reached, int DelayMs = 0);

    static int LastStep(string output, string stage) =>
        Regex.Matches(output, $@"^{stage}: step (\d+)/", RegexOptions.Multiline).Select(m => int.Parse(m.Groups[1].Value)).DefaultIfEmpty(-1).Max();

    static int ZooCheckpoints(string run) =>
        Directory.Exists(Path.Combine(run, "zoo")) ? Directory.GetFiles(Path.Combine(run, "zoo"), "*.safetensors", SearchOption.AllDirectories).Length : 0;

    static KillPoint Backbone(Random rng) => new("backbone", (output, _) => output.Contains("training the feature backbone"), rng.Next(0, 400));
    static KillPoint Zoo(Random rng)
    {
        int k = rng.Next(1, 12);
        return new($"zoo (after {k} checkpoints)", (_, run) => ZooCheckpoints(run) >= k);
    }
    static KillPoint Training(string stage, int steps, Random rng)
    {
        // The progress lines come every tenth of the steps; the last one before the end is at nine tenths.
        int step = rng.Next(1, steps * 9 / 10 + 1);
        return new($"{stage} (step {step})", (output, _) => LastStep(output, stage) >= step, rng.Next(0, 50));
    }
    // The report (evaluation, plots) takes about a second on the tiny run: the kill comes early in it.
    static KillPoint Report(Random rng) => new("report", (_, run) => File.Exists(Path.Combine(run, "diffusion.safetensors")), rng.Next(0, 200));

    /// <summary>Starts the trainer and kills it at <paramref name="point"/>; returns a note of where.</summary>
    static string KillAt(KillPoint point, string run, params string[] args)
    {
        using var trainer = new TrainerProcess(args);
        bool reached = trainer.WaitUntil(output => point.Reached(output, run), Limit);
        if (reached && point.DelayMs > 0) Thread.Sleep(point.DelayMs);
        Assert.True(reached && !trainer.HasExited, $"`{trainer.Args}` ended before the kill point {point.Stage} (+{point.DelayMs} ms):\n{trainer.Output}");
        trainer.Kill();
        return $"{point.Stage} +{point.DelayMs} ms";
    }

    static void Finish(params string[] args)
    {
        var (code, output) = TrainerProcess.Run(Limit, args);
        Assert.True(code == 0, $"`{string.Join(" ", args)}` failed ({code}):\n{output}");
    }

    /// <summary>Every file of the two run folders, byte for byte (the report's running time aside; the lock files are
    /// the writers' own).</summary>
    static void AssertSameFiles(string expected, string actual, string context)
    {
        static string[] Files(string root) => Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f)).Where(f => f is not (RunLock.FileName or RunLock.OwnerFileName)).Order().ToArray();
        var names = Files(expected);
        Assert.True(names.SequenceEqual(Files(actual)), $"{context}: the files differ:\nexpected {string.Join(", ", names)}\nactual   {string.Join(", ", Files(actual))}");
        foreach (var name in names)
        {
            byte[] a = File.ReadAllBytes(Path.Combine(expected, name)), b = File.ReadAllBytes(Path.Combine(actual, name));
            if (name is "report.json" or "report.md") (a, b) = (WithoutTime(a), WithoutTime(b));
            Assert.True(a.AsSpan().SequenceEqual(b), $"{context}: {name} differs from the uninterrupted run's");
        }
    }

    static byte[] WithoutTime(byte[] report) => System.Text.Encoding.UTF8.GetBytes(
        Regex.Replace(System.Text.Encoding.UTF8.GetString(report), @"(""elapsedSeconds"": [0-9.Ee+-]+|Time: \d+ s)", ""));

    [Fact]
    public void RunKilledInEveryStageThenResumedMatchesTheUninterruptedRun()
    {
        var r = reference.Value;
        int seed = Seed();
        var rng = new Random(seed);
        using var folder = new TempFolder();
        string run = folder.File("run");
        string[] args = ["run", "--config", r.Config, "--out", run, "--resume"];
        var notes = new List<string>();
        foreach (var point in new[] { Backbone(rng), Zoo(rng), Training("vae", 30, rng), Training("vae", 30, rng), Training("encoder", 20, rng),
                                      Training("diffusion", 30, rng), Training("diffusion", 30, rng), Report(rng) })
            notes.Add(KillAt(point, run, args));
        Finish(args);
        log.WriteLine($"seed {seed}: {string.Join("; ", notes)}");
        AssertSameFiles(r.Run, run, $"seed {seed} ({string.Join("; ", notes)})");
    }

    [Fact]
    public void StageCommandsKilledThenResumedMatchTheUninterruptedRun()
    {
        var r = reference.Value;
        int seed = Seed();
        var rng = new Random(seed);
        using var folder = new TempFolder();
        string run = folder.File("run");
        var notes = new List<string>();
        string[] zoo = ["zoo", "build", "--config", r.Config, "--out", run];
        notes.Add(KillAt(Backbone(rng), run, zoo));
        notes.Add(KillAt(Zoo(rng), run, zoo));
        Finish(zoo);
        foreach (var (stage, steps) in new[] { ("vae", 30), ("encoder", 20), ("diffusion", 30) })
        {
            string[] train = ["train", stage, "--out", run, "--resume"];
            notes.Add(KillAt(Training(stage, steps, rng), run, train));
            Finish(train);
        }
        Finish("run", "--config", r.Config, "--out", run, "--resume");
        log.WriteLine($"seed {seed}: {string.Join("; ", notes)}");
        AssertSameFiles(r.Run, run, $"seed {seed} ({string.Join("; ", notes)})");
    }

    [Fact]
    public void SampleKilledLeavesOnlyWholeFilesAndFinishesTheSameOnRerun()
    {
        var r = reference.Value;
        int seed = Seed();
        var rng = new Random(seed);
        using var folder = new TempFolder();
        string expected = folder.File("expected"), killed = folder.File("killed");
        string[] Sample(string dest) => ["sample", "--out", r.Run, "--task", "fashion-mnist:0-1-2", "--samples", "24", "--dest", dest];
        Finish(Sample(expected));
        int files = rng.Next(1, RawDiffusion.Trainer.SampleCommand.BatchSize);
        string note = KillAt(new KillPoint($"sample (after {files} files)", (_, _) => Directory.Exists(killed) && Directory.GetFiles(killed, "sample-*.safetensors").Length >= files), killed, Sample(killed));
        foreach (var file in Directory.GetFiles(killed, "sample-*.safetensors"))
            Assert.True(File.ReadAllBytes(file).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(expected, Path.GetFileName(file)))), $"seed {seed} ({note}): {Path.GetFileName(file)} is not the uninterrupted run's");
        log.WriteLine($"seed {seed}: {note}");
        Finish([.. Sample(killed), "--resume"]);
        AssertSameFiles(expected, killed, $"seed {seed} ({note})");
    }
}

using RawDiffusion.Nn;
using RawDiffusion.Tests.IO;
using RawDiffusion.Training;
using RawDiffusion.Training.Optimizers;
using RawDiffusion.Training.Schedules;

namespace RawDiffusion.Tests.Training;

public class TrainingLoopTests
{
    /// <summary>A linear regression trained by AdamW on a warm-up/cosine schedule with an EMA: every piece of state a
    /// resume has to restore.</summary>
    sealed class Setup : IDisposable
    {
        public Setup(ulong initSeed)
        {
            Model = new Linear(6, 3, generator: new Generator(initSeed));
            Optimizer = new AdamW(Model.Parameters(), 1e-2);
            Ema = new Ema(Model, 0.9);
        }

        public Linear Model { get; }
        public AdamW Optimizer { get; }
        public Ema Ema { get; }
        public List<long> StepsRun { get; } = [];

        readonly WarmupCosineSchedule schedule = new(1e-2, 3, 10);

        /// <summary>One update on a batch drawn from the step's generator; cancels <paramref name="cancel"/> during step
        /// <paramref name="cancelDuring"/>.</summary>
        public Func<long, Generator, IReadOnlyDictionary<string, double>> Step(CancellationTokenSource? cancel = null, long cancelDuring = -1) => (index, generator) =>
        {
            StepsRun.Add(index);
            if (index == cancelDuring) cancel!.Cancel();
            double lr = schedule.Apply(Optimizer);
            Optimizer.ZeroGrad();
            var x = Tensor.Randn([8, 6], generator);
            var y = Tensor.Randn([8, 3], generator);
            var loss = F.MseLoss(Model.Forward(x), y);
            loss.Backward();
            Optimizer.Step();
            return new Dictionary<string, double> { ["loss"] = loss.Item(), ["lr"] = lr };
        };

        public void Dispose()
        {
            Ema.Dispose();
            Optimizer.Dispose();
            Model.Dispose();
        }
    }

    static Dictionary<string, string> Config(string hash) => new() { ["config_hash"] = hash };

    static List<float[]> State(Setup s)
    {
        var values = s.Model.StateDict().Values.Select(t => t.ToFloat32Array()).ToList();
        foreach (var p in s.Optimizer.StateDict().Parameters.OfType<ParameterState>())
            foreach (var (_, buffer) in p.Buffers.OrderBy(b => b.Key, StringComparer.Ordinal)) values.Add(buffer.ToFloat32Array());
        values.AddRange(s.Ema.StateDict().Values.Select(t => t.ToFloat32Array()));
        return values;
    }

    [Fact]
    public void InterruptedAndResumedRunEqualsUninterruptedRunBitForBit()
    {
        using var folder = new TempFolder();
        using var whole = new Setup(1);
        using (var csv = new MetricsCsv(folder.File("whole.csv")))
        {
            var result = TrainingLoop.Run(whole.Model, whole.Optimizer, whole.Ema, new TrainingLoopOptions(10, folder.File("whole.safetensors"), 42, Metadata: Config("abc")),
                whole.Step(), csv);
            Assert.Equal(new TrainingLoopResult(10, false, 0), result);
        }

        using var cancel = new CancellationTokenSource();
        using (var first = new Setup(1))
        using (var csv = new MetricsCsv(folder.File("parts.csv")))
        {
            var result = TrainingLoop.Run(first.Model, first.Optimizer, first.Ema, new TrainingLoopOptions(10, folder.File("parts.safetensors"), 42, CheckpointEvery: 3, Metadata: Config("abc")),
                first.Step(cancel, cancelDuring: 3), csv, cancel: cancel.Token);
            Assert.Equal(new TrainingLoopResult(4, true, 0), result);
            Assert.Equal([0L, 1, 2, 3], first.StepsRun);
        }
        // Rows the interrupted run logged after its checkpoint (as if it had been killed) must not survive the resume.
        using (var csv = new MetricsCsv(folder.File("parts.csv")))
            csv.Append(4, new Dictionary<string, double> { ["loss"] = 99, ["lr"] = 99 });

        // Another initialisation: everything must come from the checkpoint.
        using var resumed = new Setup(2);
        using (var csv = new MetricsCsv(folder.File("parts.csv")))
        {
            var result = TrainingLoop.Run(resumed.Model, resumed.Optimizer, resumed.Ema, new TrainingLoopOptions(10, folder.File("parts.safetensors"), 42, CheckpointEvery: 3, Resume: true, Metadata: Config("abc")),
                resumed.Step(), csv);
            Assert.Equal(new TrainingLoopResult(10, false, 4), result);
            Assert.Equal([4L, 5, 6, 7, 8, 9], resumed.StepsRun);
        }

        var expected = State(whole);
        var actual = State(resumed);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], actual[i]);
        Assert.Equal(whole.Optimizer.StepCount, resumed.Optimizer.StepCount);
        Assert.Equal(whole.Ema.NumUpdates, resumed.Ema.NumUpdates);
        Assert.Equal(File.ReadAllBytes(folder.File("whole.csv")), File.ReadAllBytes(folder.File("parts.csv")));
        Assert.Equal(10, MetricsCsv.ReadAll(folder.File("parts.csv")).Count);

        // The final checkpoints hold the same state too.
        using var fromWhole = new Setup(3);
        using var fromParts = new Setup(4);
        Assert.Equal(10, Checkpoint.Load(folder.File("whole.safetensors"), fromWhole.Model, fromWhole.Optimizer, fromWhole.Ema).Step);
        Assert.Equal(10, Checkpoint.Load(folder.File("parts.safetensors"), fromParts.Model, fromParts.Optimizer, fromParts.Ema).Step);
        Assert.Equal(State(fromWhole).Select(a => a.ToArray()), State(fromParts).Select(a => a.ToArray()));
    }

    [Fact]
    public void CancellationFinishesTheStepSavesAndReportsInterrupted()
    {
        using var folder = new TempFolder();
        using var setup = new Setup(1);
        using var cancel = new CancellationTokenSource();
        string path = folder.File("run.safetensors");
        var result = TrainingLoop.Run(setup.Model, setup.Optimizer, setup.Ema, new TrainingLoopOptions(50, path, 7), setup.Step(cancel, cancelDuring: 1), cancel: cancel.Token);

        Assert.Equal(new TrainingLoopResult(2, true, 0), result);
        Assert.Equal(2, setup.Optimizer.StepCount);
        using var check = new Setup(5);
        var info = Checkpoint.Load(path, check.Model, check.Optimizer, check.Ema);
        Assert.Equal(2, info.Step);
        Assert.Equal("7", info.Metadata[TrainingLoop.SeedKey]);
        Assert.Equal(State(setup), State(check));
    }

    [Fact]
    public void ProgressReportsEveryStepWithItsMetrics()
    {
        using var folder = new TempFolder();
        using var setup = new Setup(1);
        var reports = new List<TrainingProgress>();
        TrainingLoop.Run(setup.Model, setup.Optimizer, null, new TrainingLoopOptions(3, folder.File("run.safetensors"), 7), setup.Step(),
            progress: new SynchronousProgress(reports.Add));

        Assert.Equal([1L, 2, 3], reports.Select(r => r.Step));
        Assert.All(reports, r => Assert.Equal(3, r.TotalSteps));
        Assert.All(reports, r => Assert.True(r.StepsPerSecond > 0 && r.Metrics.ContainsKey("loss")));
        Assert.Equal(TimeSpan.Zero, reports[^1].Remaining);
    }

    sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    [Fact]
    public void NewRunRefusesToOverwriteAnExistingCheckpoint()
    {
        using var folder = new TempFolder();
        string path = folder.File("run.safetensors");
        using (var setup = new Setup(1))
            TrainingLoop.Run(setup.Model, setup.Optimizer, setup.Ema, new TrainingLoopOptions(2, path, 7), setup.Step());
        byte[] before = File.ReadAllBytes(path);

        using var again = new Setup(1);
        var e = Assert.Throws<IOException>(() => TrainingLoop.Run(again.Model, again.Optimizer, again.Ema, new TrainingLoopOptions(2, path, 7), again.Step()));
        Assert.Contains("run.safetensors", e.Message);
        Assert.Contains("--resume", e.Message);
        Assert.Empty(again.StepsRun);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void ResumeWithoutACheckpointNamesTheMissingFile()
    {
        using var folder = new TempFolder();
        using var setup = new Setup(1);
        var e = Assert.Throws<FileNotFoundException>(() => TrainingLoop.Run(setup.Model, setup.Optimizer, setup.Ema,
            new TrainingLoopOptions(2, folder.File("absent.safetensors"), 7, Resume: true), setup.Step()));
        Assert.Contains("absent.safetensors", e.Message);
        Assert.Empty(setup.StepsRun);
    }

    [Theory]
    [InlineData("other", 7UL, "config_hash")]
    [InlineData("abc", 8UL, TrainingLoop.SeedKey)]
    [InlineData(null, 7UL, "config_hash")]
    public void ResumeWithOtherMetadataNamesTheKeyAndChangesNothing(string? hash, ulong seed, string key)
    {
        using var folder = new TempFolder();
        string path = folder.File("run.safetensors");
        using (var setup = new Setup(1))
            TrainingLoop.Run(setup.Model, setup.Optimizer, setup.Ema, new TrainingLoopOptions(2, path, 7, Metadata: Config("abc")), setup.Step());
        byte[] before = File.ReadAllBytes(path);

        using var resumed = new Setup(2);
        var initial = State(resumed);
        var e = Assert.Throws<CheckpointException>(() => TrainingLoop.Run(resumed.Model, resumed.Optimizer, resumed.Ema,
            new TrainingLoopOptions(4, path, seed, Resume: true, Metadata: hash == null ? null : Config(hash)), resumed.Step()));
        Assert.Contains($"'{key}'", e.Message);
        Assert.Contains("run.safetensors", e.Message);
        Assert.Empty(resumed.StepsRun);
        Assert.Equal(initial, State(resumed));
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void ResumingAFinishedRunDoesNothingAndGoingBackwardsIsAnError()
    {
        using var folder = new TempFolder();
        string path = folder.File("run.safetensors");
        using (var setup = new Setup(1))
            TrainingLoop.Run(setup.Model, setup.Optimizer, setup.Ema, new TrainingLoopOptions(3, path, 7), setup.Step());

        using var done = new Setup(2);
        Assert.Equal(new TrainingLoopResult(3, false, 3), TrainingLoop.Run(done.Model, done.Optimizer, done.Ema, new TrainingLoopOptions(3, path, 7, Resume: true), done.Step()));
        Assert.Empty(done.StepsRun);

        using var shorter = new Setup(2);
        var e = Assert.Throws<ArgumentException>(() => TrainingLoop.Run(shorter.Model, shorter.Optimizer, shorter.Ema, new TrainingLoopOptions(2, path, 7, Resume: true), shorter.Step()));
        Assert.Contains("step 3", e.Message);
    }

    [Fact]
    public void StepGeneratorDependsOnlyOnSeedAndStep()
    {
        static float[] Draw(Generator g) => Tensor.Rand([4], g).ToFloat32Array();
        Assert.Equal(Draw(TrainingLoop.StepGenerator(5, 9)), Draw(TrainingLoop.StepGenerator(5, 9)));
        Assert.NotEqual(Draw(TrainingLoop.StepGenerator(5, 9)), Draw(TrainingLoop.StepGenerator(5, 10)));
        Assert.NotEqual(Draw(TrainingLoop.StepGenerator(5, 9)), Draw(TrainingLoop.StepGenerator(6, 9)));
    }

    [Fact]
    public void ReservedMetadataKeysAndBadOptionsAreRejected()
    {
        using var folder = new TempFolder();
        using var setup = new Setup(1);
        string path = folder.File("run.safetensors");
        Assert.Throws<ArgumentException>(() => TrainingLoop.Run(setup.Model, setup.Optimizer, null,
            new TrainingLoopOptions(2, path, 7, Metadata: new Dictionary<string, string> { [TrainingLoop.SeedKey] = "1" }), setup.Step()));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingLoop.Run(setup.Model, setup.Optimizer, null, new TrainingLoopOptions(0, path, 7), setup.Step()));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingLoop.Run(setup.Model, setup.Optimizer, null, new TrainingLoopOptions(2, path, 7, CheckpointEvery: -1), setup.Step()));
        Assert.Empty(setup.StepsRun);
        Assert.False(File.Exists(path));
    }
}

using System.CommandLine;
using RawDiffusion.Data;
using RawDiffusion.IO;
using RawDiffusion.Pipeline;
using RawDiffusion.Tasks;
using RawDiffusion.Tests.IO;
using RawDiffusion.Tests.Pipeline;
using RawDiffusion.Trainer;
using RawDiffusion.Zoo;
using Spectre.Console;

namespace RawDiffusion.Tests.Trainer;

/// <summary>The commands swap Spectre's global console for a captured one, so they run one at a time.</summary>
[CollectionDefinition(nameof(CliCollection), DisableParallelization = true)]
public sealed class CliCollection;

/// <summary>The trainer's command line as Program.cs builds it: argument errors, help, and the commands end to end on
/// the tiny pipeline.</summary>
[Collection(nameof(CliCollection))]
public class CliTests
{
    /// <summary>Parses and invokes <paramref name="args"/>; returns the exit code and everything written (System.CommandLine's
    /// help and parse errors, and the commands' Spectre output).</summary>
    internal static (int Code, string Output) Invoke(params string[] args)
    {
        var writer = new StringWriter();
        var previous = AnsiConsole.Console;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 4000; // no wrapping inside messages that name long temporary paths
        AnsiConsole.Console = console;
        try
        {
            int code = Cli.BuildRoot().Parse(args).Invoke(new InvocationConfiguration { Output = writer, Error = writer });
            return (code, writer.ToString());
        }
        finally { AnsiConsole.Console = previous; }
    }

    static void AssertFails(string expected, params string[] args)
    {
        var (code, output) = Invoke(args);
        Assert.True(code != 0, $"`{string.Join(" ", args)}` exited 0:\n{output}");
        Assert.Contains(expected, output);
    }

    [Theory]
    [InlineData("--shard", "zoo", "build", "--shard", "0/3")]
    [InlineData("shard number must lie in 1..3", "zoo", "build", "--shard", "0/3")]
    [InlineData("--shard", "zoo", "build", "--shard", "x")]
    [InlineData("i/n with whole numbers", "zoo", "build", "--shard", "x")]
    [InlineData("--dest", "sample", "--task", "fashion-mnist:0-1-2")]
    [InlineData("give either --task or --examples", "sample", "--task", "a", "--examples", "b", "--labels", "c", "--dest", "d")]
    [InlineData("--examples and --labels go together", "sample", "--examples", "x", "--dest", "d")]
    [InlineData("--samples must be at least 1", "sample", "--task", "fashion-mnist:0-1-2", "--dest", "d", "--samples", "0")]
    [InlineData("--fine-tune-epochs cannot be negative", "eval", "--weights", "w", "--task", "fashion-mnist:0-1-2", "--fine-tune-epochs", "-1")]
    [InlineData("--weights", "eval", "--task", "fashion-mnist:0-1-2")]
    [InlineData("frobnicate", "frobnicate")]
    [InlineData("frobnicate", "train", "frobnicate")]
    [InlineData("--colour", "run", "--colour")]
    public void ArgumentErrorsAreNamed(string expected, params string[] args) => AssertFails(expected, args);

    [Fact]
    public void MissingConfigFileIsNamed()
    {
        using var folder = new TempFolder();
        string config = folder.File("missing.json");
        AssertFails(config, "run", "--config", config, "--out", folder.File("run"));
        Assert.False(Directory.Exists(folder.File("run")));
    }

    /// <summary>Options left at their defaults pass the checks (which must see the default, not default(T)), so the
    /// command gets as far as reading its config.</summary>
    [Theory]
    [InlineData("zoo", "build")]
    [InlineData("run")]
    public void DefaultsPassTheOptionChecks(params string[] command)
    {
        using var folder = new TempFolder();
        string config = folder.File("missing.json");
        var (code, output) = Invoke([.. command, "--config", config, "--out", folder.File("run")]);
        Assert.Equal(1, code);
        Assert.Contains($"pipeline config not found: {config}", output);
        Assert.DoesNotContain("--shard", output);
    }

    [Theory]
    [InlineData("--epochs must be at least 1", "classify", "--epochs", "0")]
    [InlineData("--batch-size must be at least 1", "classify", "--batch-size", "0")]
    [InlineData("--lr must be positive", "classify", "--lr", "0")]
    [InlineData("--models: unknown network \"vit\"", "classify", "--models", "mlp", "vit")]
    [InlineData("--lr must be positive", "eval", "--weights", "w", "--task", "fashion-mnist:0-1-2", "--lr", "-0.1")]
    [InlineData("--fine-tune-epochs", "eval", "--weights", "w", "--task", "fashion-mnist:0-1-2", "--fine-tune-epochs", "x")]
    public void OptionChecksNameTheOption(string expected, params string[] args) => AssertFails(expected, args);

    [Fact]
    public void RunFolderWithoutAConfigIsNamed()
    {
        using var folder = new TempFolder();
        AssertFails("config.json is missing", "train", "vae", "--out", folder.Path);
        AssertFails("config.json is missing", "sample", "--out", folder.Path, "--task", "fashion-mnist:0-1-2", "--dest", folder.File("samples"));
    }

    static IEnumerable<(string[] Path, Command Command)> Commands(Command command, string[] path)
    {
        yield return (path, command);
        foreach (var sub in command.Subcommands)
            foreach (var nested in Commands(sub, [.. path, sub.Name])) yield return nested;
    }

    [Fact]
    public void EveryCommandHasHelpListingItsOptions()
    {
        var commands = Commands(Cli.BuildRoot(), []).ToArray();
        Assert.True(commands.Length >= 12, $"only {commands.Length} commands");
        foreach (var (path, command) in commands)
        {
            var (code, output) = Invoke([.. path, "--help"]);
            Assert.True(code == 0, $"`{string.Join(" ", path)} --help` exited {code}:\n{output}");
            Assert.Contains(command.Description!, output);
            foreach (var option in command.Options.Where(o => !o.Hidden))
                Assert.Contains(option.Name, output);
            foreach (var sub in command.Subcommands)
                Assert.Contains(sub.Name, output);
        }
    }

    [Fact]
    public void RunWritesTheReport()
    {
        using var folder = new TempFolder();
        string config = TinyPipeline.WriteTo(folder.File("tiny.json"));
        var run = new RunFolder(folder.File("run"));
        var (code, output) = Invoke("run", "--config", config, "--out", run.Root);
        Assert.True(code == 0, output);
        Assert.True(File.Exists(run.ReportMarkdown));
        Assert.True(File.Exists(run.ReportJson));
        Assert.True(File.Exists(Path.Combine(run.Plots, "vae-loss.png")));
        Assert.Contains("unseen combos", output);

        // The same command again is refused without --resume, and changes nothing.
        byte[] report = File.ReadAllBytes(run.ReportMarkdown);
        var (again, message) = Invoke("run", "--config", config, "--out", run.Root);
        Assert.Equal(1, again);
        Assert.Contains("--resume", message);
        Assert.Equal(report, File.ReadAllBytes(run.ReportMarkdown));
    }

    static string SeenTask(RunFolder run) => TaskSplits.Load(run.Tasks).Seen[0].Id;

    [Fact]
    public void SampleThenEvalATask()
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.File("run"));
        string task = SeenTask(run), dest = folder.File("samples");
        var (code, output) = Invoke("sample", "--out", run.Root, "--task", task, "--dest", dest);
        Assert.True(code == 0, output);
        var architecture = ZooManifest.Load(run.Zoo).Architecture;
        Assert.Equal(["sample-000.safetensors", "sample-001.safetensors"], Directory.GetFiles(dest).Select(Path.GetFileName).Order());
        var weights = WeightsFile.Load(Path.Combine(dest, "sample-000.safetensors"), architecture);
        Assert.Equal(architecture.Tensors.Select(t => t.Name).Order(), weights.Keys.Order());
        using (var file = SafeTensorsFile.Open(Path.Combine(dest, "sample-000.safetensors")))
            Assert.Equal(task, file.Metadata["task"]);

        (code, output) = Invoke("eval", "--out", run.Root, "--weights", dest, "--task", task, "--fine-tune-epochs", "1");
        Assert.True(code == 0, output);
        Assert.Contains("sample-001.safetensors", output);
        Assert.Contains("random initialisation", output);
    }

    [Fact]
    public void SampleRefusesToOverwrite()
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.File("run"));
        string dest = folder.Write("samples/sample-000.safetensors", [1, 2, 3]);
        var (code, output) = Invoke("sample", "--out", run.Root, "--task", SeenTask(run), "--dest", Path.GetDirectoryName(dest)!);
        Assert.Equal(1, code);
        Assert.Contains(dest, output);
        Assert.Contains("already exists", output);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(dest));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(dest)!));
    }

    /// <summary>20 examples of each class of a task, labelled 0..2 in the task's class order, as .npy files: raw
    /// 784-pixel images or the run backbone's 16 features.</summary>
    static (string Examples, string Labels) UserNpy(TempFolder folder, RunFolder run, bool features)
    {
        var task = TaskSplits.Load(run.Tasks).Unseen[0];
        var rows = Domains.Images(task.Domain, Split.Test, null).ForTask(task);
        var picked = rows.IndicesByClass().SelectMany(c => c.Take(20)).ToArray();
        rows = rows.Select(picked);
        if (features)
        {
            using var backbone = FeatureBackbone.Load(run.Backbone);
            rows = backbone.Extract(rows);
        }
        string examples = folder.File("examples.npy"), labels = folder.File("labels.npy");
        NpyFile.Write(examples, rows.Features, [rows.Count, rows.FeatureLength]);
        NpyFile.Write(labels, rows.Labels, [rows.Count]);
        return (examples, labels);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SampleFromUserNpy(bool features)
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.File("run"));
        var (examples, labels) = UserNpy(folder, run, features);
        string dest = folder.File("samples");
        var (code, output) = Invoke("sample", "--out", run.Root, "--examples", examples, "--labels", labels, "--dest", dest, "--samples", "1");
        Assert.True(code == 0, output);
        var weights = WeightsFile.Load(Path.Combine(dest, "sample-000.safetensors"), ZooManifest.Load(run.Zoo).Architecture);
        Assert.All(weights.Values, w => Assert.All(w, x => Assert.True(float.IsFinite(x))));
        Assert.Single(Directory.GetFiles(dest));
    }

    [Fact]
    public void SampleRefusesUserRowsOfAnotherLength()
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.File("run"));
        string examples = folder.File("examples.npy"), labels = folder.File("labels.npy");
        NpyFile.Write(examples, new float[30 * 7], [30, 7]);
        NpyFile.Write(labels, Enumerable.Range(0, 30).Select(i => i % 3).ToArray(), [30]);
        AssertFails("rows of 7 values", "sample", "--out", run.Root, "--examples", examples, "--labels", labels, "--dest", folder.File("samples"));
        Assert.False(Directory.Exists(folder.File("samples")));
    }

    [Fact]
    public void EvalOnAPixelRunTakesImagesNotFeatures()
    {
        using var folder = new TempFolder();
        var run = TinyRun.Pixels.CopyTo(folder.File("run"));
        string dest = folder.File("samples");
        var (code, output) = Invoke("sample", "--out", run.Root, "--task", SeenTask(run), "--dest", dest, "--samples", "1");
        Assert.True(code == 0, output);
        (code, output) = Invoke("eval", "--out", run.Root, "--weights", dest, "--task", SeenTask(run), "--fine-tune-epochs", "1");
        Assert.True(code == 0, output);
        Assert.Contains("sample-000.safetensors", output);

        var (images, labels) = UserNpy(folder, run, features: false);
        (code, output) = Invoke("eval", "--out", run.Root, "--weights", dest, "--examples", images, "--labels", labels, "--test-examples", images, "--test-labels", labels);
        Assert.True(code == 0, output);
        Assert.Contains("test accuracy on 60", output);

        using var featureFolder = new TempFolder();
        var (features, featureLabels) = UserNpy(featureFolder, run, features: true);
        AssertFails("are backbone features, but the run's architecture \"tiny-pixel-mlp\" takes 784-pixel images",
                    "eval", "--out", run.Root, "--weights", dest, "--examples", images, "--labels", labels, "--test-examples", features, "--test-labels", featureLabels);
        // Support sets are backbone features whatever the architecture, so `sample` takes features too.
        (code, output) = Invoke("sample", "--out", run.Root, "--examples", features, "--labels", featureLabels, "--dest", folder.File("from-features"), "--samples", "1");
        Assert.True(code == 0, output);
    }

    [Fact]
    public void TrainEncoderWithATruncatedVaeNamesIt()
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.File("run"), "config.json", "backbone.safetensors", "tasks.json", "zoo", "layout.json", "normalization.safetensors", "vae.safetensors");
        string vae = run.StageModel(VaeStage.Name);
        using (var stream = new FileStream(vae, FileMode.Open, FileAccess.Write)) stream.SetLength(stream.Length / 2);
        AssertFails("vae.safetensors", "train", "encoder", "--out", run.Root);
        Assert.False(File.Exists(run.StageCheckpoint(EncoderStage.Name)));
        Assert.False(File.Exists(run.StageMetrics(EncoderStage.Name)));
    }

    [Fact]
    public void TrainStageAgainWithoutResumeIsRefused()
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.File("run"));
        byte[] checkpoint = File.ReadAllBytes(run.StageCheckpoint(DiffusionStage.Name));
        AssertFails("--resume", "train", "diffusion", "--out", run.Root);
        Assert.Equal(checkpoint, File.ReadAllBytes(run.StageCheckpoint(DiffusionStage.Name)));
    }
}

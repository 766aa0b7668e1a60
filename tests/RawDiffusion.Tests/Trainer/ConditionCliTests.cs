using RawDiffusion.IO;
using RawDiffusion.Pipeline;
using RawDiffusion.Tests.IO;
using RawDiffusion.Tests.Pipeline;

namespace RawDiffusion.Tests.Trainer;

/// <summary>`sample` with the condition options and `interpolate`, through the command line.</summary>
[Collection(nameof(CliCollection))]
public class ConditionCliTests
{
    static (int Code, string Output) Invoke(params string[] args) => CliTests.Invoke(args);

    [Theory]
    [InlineData("give either --text or --text-embedding", "sample", "--task", "fashion-mnist:0-1-2", "--dest", "d", "--text", "a", "--text-embedding", "b")]
    [InlineData("give either --from and --to, or --pairs", "interpolate")]
    [InlineData("--from and --to go together", "interpolate", "--from", "fashion-mnist:0-1-2")]
    [InlineData("--steps must be between 1 and 1000", "interpolate", "--pairs", "2", "--steps", "0")]
    public void ArgumentErrorsAreNamed(string expected, params string[] args)
    {
        var (code, output) = Invoke(args);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, output);
    }

    [Fact]
    public void SampleRefusesAConditionTheRunWasNotTrainedWith()
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.Folder;
        string task = TaskSplits.Load(run.Tasks).Seen[0].Id, dest = folder.File("samples");
        var (code, output) = Invoke("sample", "--out", run.Root, "--task", task, "--dest", dest, "--text", "output 0: Bag");
        Assert.Equal(1, code);
        Assert.Contains("trained with condition.kind [dataset], without a text condition; --text cannot be used", output);
        Assert.False(Directory.Exists(dest));
        (code, output) = Invoke("sample", "--out", ConditionRun.Text.Folder.Root, "--task", task, "--dest", dest, "--text-embedding", folder.Write("e.npy", []));
        Assert.Equal(1, code);
        Assert.Contains("hashed encoder", output);
    }

    [Fact]
    public void SampleOnATaskIdRunRefusesAnUnknownTask()
    {
        using var folder = new TempFolder();
        var run = ConditionRun.TaskId.Folder;
        string unseen = TaskSplits.Load(run.Tasks).Unseen[0].Id, dest = folder.File("samples");
        var (code, output) = Invoke("sample", "--out", run.Root, "--task", unseen, "--dest", dest);
        Assert.Equal(1, code);
        Assert.Contains($"task {unseen} is unknown to this task-id run", output);
        Assert.False(Directory.Exists(dest));
    }

    [Fact]
    public void SampleTakesTextForATextRun()
    {
        using var folder = new TempFolder();
        var run = ConditionRun.Text.Folder;
        string task = TaskSplits.Load(run.Tasks).Unseen[0].Id, dest = folder.File("samples");
        var (code, output) = Invoke("sample", "--out", run.Root, "--task", task, "--dest", dest, "--samples", "1", "--text", "output 0: Coat; output 1: Bag; output 2: Sandal");
        Assert.True(code == 0, output);
        using var file = SafeTensorsFile.Open(Path.Combine(dest, "sample-000.safetensors"));
        Assert.Equal("output 0: Coat; output 1: Bag; output 2: Sandal", file.Metadata["text"]);
        Assert.Equal("text", file.Metadata["condition"]);
    }

    [Fact]
    public void InterpolateWritesThePathAndItsPlot()
    {
        using var folder = new TempFolder();
        var run = ConditionRun.TaskId.Folder;
        var seen = TaskSplits.Load(run.Tasks).Seen;
        string dest = folder.File("interpolation");
        var (code, output) = Invoke("interpolate", "--out", run.Root, "--from", seen[0].Id, "--to", seen[1].Id, "--steps", "2", "--samples", "1", "--dest", dest);
        Assert.True(code == 0, output);
        string stem = Path.Combine(dest, $"{seen[0].Id}__{seen[1].Id}".Replace(':', '_'));
        Assert.Equal(1 + 3, File.ReadAllLines(stem + ".csv").Length);
        Assert.True(new FileInfo(stem + ".png").Length > 1000);
        Assert.Contains("\"points\"", File.ReadAllText(stem + ".json"));
        // Six seen tasks of three classes out of ten hold fewer than 20 disjoint pairs sharing two classes.
        (code, output) = Invoke("interpolate", "--out", run.Root, "--pairs", "20", "--dest", dest);
        Assert.Equal(1, code);
        Assert.Contains("pairs of the 6 seen tasks share all classes but one", output);
    }
}

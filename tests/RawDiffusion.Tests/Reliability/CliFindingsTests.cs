using System.Text.Json;
using RawDiffusion.Data;
using RawDiffusion.IO;
using RawDiffusion.Pipeline;
using RawDiffusion.Tests.Data;
using RawDiffusion.Tests.Pipeline;
using RawDiffusion.Tests.Trainer;
using RawDiffusion.Zoo;

namespace RawDiffusion.Tests.Reliability;

/// <summary>The probes of issue 13 that ended badly, each now ending in one clear error line (or working), through
/// the trainer's command line on a copy of the tiny run.</summary>
[Collection(nameof(CliCollection))]
public class CliFindingsTests
{
    static string Shipped(string file) => Path.Combine(DataLocator.FindDataRoot(), "fashion-mnist", file);

    static (int Code, string Output) Invoke(params string[] args) => CliTests.Invoke(args);

    /// <summary>One error line naming <paramref name="expected"/>; never a stack trace or a .NET type name.</summary>
    static string Fails(string expected, params string[] args)
    {
        var (code, output) = Invoke(args);
        Assert.True(code == 1, $"`{string.Join(" ", args)}` exited {code}:\n{output}");
        Assert.Contains(expected, output);
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("Exception", output);
        Assert.DoesNotContain("System.", output);
        return output;
    }

    static string SeenTask(RunFolder run) => TaskSplits.Load(run.Tasks).Seen[0].Id;

    [Fact]
    public void SwappedIdxImagesAndLabelsAreANamedError()
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.File("run"));
        string images = Shipped("t10k-images-idx3-ubyte.gz"), labels = Shipped("t10k-labels-idx1-ubyte.gz");
        Fails($"{labels}: magic number 0x00000801 declares 1 dimensions", "sample", "--out", run.Root, "--examples", labels, "--labels", images, "--dest", folder.File("x"));
        Assert.False(Directory.Exists(folder.File("x")), "a failed sample must not leave its --dest behind");
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("corrupt-gzip")]
    [InlineData("count-beyond-data")]
    public void DamagedIdxFilesAreNamedErrors(string damage)
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.File("run"));
        var bytes = File.ReadAllBytes(Shipped("t10k-images-idx3-ubyte.gz"));
        string images = folder.File("images-idx3-ubyte.gz");
        switch (damage)
        {
            case "truncated": File.WriteAllBytes(images, bytes[..(bytes.Length / 2)]); break;
            case "corrupt-gzip": bytes[bytes.Length / 2] ^= 0xFF; bytes[bytes.Length / 2 + 1] ^= 0xFF; File.WriteAllBytes(images, bytes); break;
            default:
                IdxWriter.WriteImages(images, new ByteImages(4, 28, 28, new byte[4 * 784]), compress: false);
                var raw = File.ReadAllBytes(images);
                raw[7] = 9; // the header now counts 9 images, the data holds 4
                File.WriteAllBytes(images, raw);
                break;
        }
        Fails(images, "sample", "--out", run.Root, "--examples", images, "--labels", Shipped("t10k-labels-idx1-ubyte.gz"), "--dest", folder.File("x"));
    }

    [Fact]
    public void RunOnDamagedDataLeavesNoFolderBehind()
    {
        using var folder = new TempFolder();
        string data = folder.Folder("data");
        foreach (var domain in new[] { "fashion-mnist", "mnist-digits" })
        {
            Directory.CreateDirectory(Path.Combine(data, domain));
            foreach (var file in Directory.GetFiles(Path.Combine(DataLocator.FindDataRoot(), domain))) File.Copy(file, Path.Combine(data, domain, Path.GetFileName(file)));
        }
        string train = Path.Combine(data, "fashion-mnist", "train-images-idx3-ubyte.gz");
        File.WriteAllBytes(train, File.ReadAllBytes(train)[..3000]);
        string config = TinyPipeline.WriteTo(folder.File("tiny.json")), output = folder.File("run");
        Fails(train, "run", "--config", config, "--out", output, "--data", data);
        Assert.False(Directory.Exists(output), "config.json (or anything else) was left in the new run folder");
    }

    [Theory]
    [InlineData("/proc/rawdiffusion-cannot-be-here")]
    [InlineData("a-file/sub")]
    public void SampleChecksDestBeforeAnyCompute(string dest)
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.File("run"));
        File.WriteAllText(folder.File("a-file"), "x");
        string path = dest.StartsWith('/') ? dest : folder.File(dest);
        var output = Fails("--dest", "sample", "--out", run.Root, "--task", SeenTask(run), "--dest", path);
        Assert.Contains("nothing was generated", output);
    }

    [Theory]
    [InlineData("--samples: \"abc\" is not a whole number", "--samples", "abc")]
    [InlineData("--seed: \"-5\" is not a whole number (from 0 to", "--seed", "-5")]
    [InlineData("--samples 2147483647 exceeds the limit of 1,000,000 files", "--samples", "2147483647")]
    public void SampleNumbersAreCheckedWithNamedErrors(string expected, string option, string value)
    {
        var (code, output) = Invoke("sample", "--task", "fashion-mnist:0-1-2", "--dest", "d", option, value);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, output);
        Assert.DoesNotContain("System.", output);
    }

    [Fact]
    public void ASecondWriterIsRefusedNamingTheHolder()
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.File("run"));
        byte[] before = File.ReadAllBytes(run.StageModel(VaeStage.Name));
        using (RunLock.Acquire(run.Root, "run"))
        {
            var output = Fails($"is being written by PID {Environment.ProcessId} on host {Environment.MachineName} (`run`", "train", "vae", "--out", run.Root, "--resume");
            Assert.Contains("one writer per run folder", output);
        }
        Assert.Equal(before, File.ReadAllBytes(run.StageModel(VaeStage.Name)));
        Assert.False(File.Exists(Path.Combine(run.Root, RunLock.OwnerFileName)), "releasing the lock removes its owner record");
    }

    [Fact]
    public void AStaleLockOfADeadProcessIsReclaimedWithItsUnfinishedWrites()
    {
        using var folder = new TempFolder();
        using var exited = System.Diagnostics.Process.Start("true")!;
        exited.WaitForExit();
        var dead = new RunLock.Owner(exited.Id, Environment.MachineName, "train vae", DateTime.UtcNow.AddMinutes(-5));
        File.WriteAllText(Path.Combine(folder.Path, RunLock.OwnerFileName), JsonSerializer.Serialize(dead));
        File.WriteAllText(Path.Combine(folder.Path, RunLock.FileName), dead.ToString());
        string torn = folder.File($".vae.safetensors.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(torn, [1, 2, 3]);
        Assert.False(RunLock.IsAlive(dead));
        using var held = RunLock.Acquire(folder.Path, "train vae");
        Assert.Equal(dead, held.ReclaimedFrom);
        Assert.Equal(1, held.RemovedTemporaries);
        Assert.False(File.Exists(torn));
        Assert.Equal(Environment.ProcessId, RunLock.ReadOwner(Path.Combine(folder.Path, RunLock.OwnerFileName))!.Pid);
    }

    [Fact]
    public void SmallIdxImagesAreNotTakenAsFeatures()
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.File("run"));
        string images = folder.File("small-images-idx3-ubyte"), labels = folder.File("small-labels-idx1-ubyte");
        // 16 features in the tiny run: 4x4 images are as long as a feature row.
        IdxWriter.WriteImages(images, new ByteImages(30, 4, 4, Enumerable.Range(0, 30 * 16).Select(i => (byte)i).ToArray()), compress: false);
        IdxWriter.WriteLabels(labels, Enumerable.Range(0, 30).Select(i => (byte)(i % 3)).ToArray(), compress: false);
        Fails($"{images}: images of 4x4 pixels, but the run takes 28x28 images", "sample", "--out", run.Root, "--examples", images, "--labels", labels, "--dest", folder.File("x"));
    }

    [Fact]
    public void UnscaledPixelRowsAreRefused()
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.File("run"));
        string examples = folder.File("pixels.npy"), labels = folder.File("labels.npy");
        NpyFile.Write(examples, Enumerable.Range(0, 30 * 784).Select(i => (float)(i % 256)).ToArray(), [30, 784]);
        NpyFile.Write(labels, Enumerable.Range(0, 30).Select(i => i % 3).ToArray(), [30]);
        Fails($"{examples}: row 0, pixel 2 is 2; image rows hold pixels in [0, 1]", "sample", "--out", run.Root, "--examples", examples, "--labels", labels, "--dest", folder.File("x"));
    }

    [Fact]
    public void ALabelBeyondTheClassifiersOutputsIsBlamedOnTheLabelsFile()
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.File("run"));
        string examples = folder.File("features.npy"), labels = folder.File("labels.npy");
        NpyFile.Write(examples, new float[30 * 16], [30, 16]);
        NpyFile.Write(labels, Enumerable.Range(0, 30).Select(i => i == 4 ? 7 : i % 3).ToArray(), [30]);
        Fails($"{labels}: row 4 has label 7, but the run's classifiers have 3 outputs (labels 0..2)", "sample", "--out", run.Root, "--examples", examples, "--labels", labels, "--dest", folder.File("x"));
    }

    [Fact]
    public void NonFiniteWeightsAreRefusedByEvalUnlessAllowed()
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.File("run"));
        var architecture = ZooManifest.Load(run.Zoo).Architecture;
        var weights = Evaluation.RandomWeights(architecture, 1).ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        weights[architecture.Tensors[0].Name][5] = float.NaN;
        string file = folder.File("broken.safetensors");
        WeightsFile.Save(file, architecture, weights);
        Fails($"{file}: tensor '{architecture.Tensors[0].Name}' holds 1 non-finite value(s) (the first, NaN, at index 5)", "eval", "--out", run.Root, "--weights", file, "--task", SeenTask(run));
        var (code, output) = Invoke("eval", "--out", run.Root, "--weights", file, "--task", SeenTask(run), "--allow-non-finite");
        Assert.True(code == 0, output);
        Assert.Contains("warning:", output);
    }

    [Fact]
    public void ADamagedStageCheckpointIsNamedByItsFullPath()
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.File("run"));
        string checkpoint = run.StageCheckpoint(DiffusionStage.Name);
        var bytes = File.ReadAllBytes(checkpoint);
        File.WriteAllBytes(checkpoint, bytes[..(bytes.Length / 2)]);
        Fails($"{checkpoint}: ", "train", "diffusion", "--out", run.Root, "--resume");
    }

    [Fact]
    public void AFailedSampleWriteSaysWhichFilesAreValid()
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.File("run"));
        string dest = folder.Folder("samples");
        Directory.CreateDirectory(Path.Combine(dest, "sample-001.safetensors")); // a folder where a file must go
        var output = Fails("the 1 sample files written before it are complete and valid", "sample", "--out", run.Root, "--task", SeenTask(run), "--dest", dest, "--resume");
        Assert.Contains("sample-001.safetensors", output);
        Assert.True(File.Exists(Path.Combine(dest, "sample-000.safetensors")));
        Directory.Delete(Path.Combine(dest, "sample-001.safetensors"));
        var (code, rest) = Invoke("sample", "--out", run.Root, "--task", SeenTask(run), "--dest", dest, "--resume");
        Assert.True(code == 0, rest);
        Assert.Contains("1 of the 2 sample files are already", rest);
    }

    [Fact]
    public void SampleInBatchesGivesTheSameFilesAsOneByOneResumes()
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.File("run"));
        string all = folder.File("all"), part = folder.Folder("part");
        var (code, output) = Invoke("sample", "--out", run.Root, "--task", SeenTask(run), "--dest", all, "--samples", "20");
        Assert.True(code == 0, output);
        Assert.Equal(20, Directory.GetFiles(all).Length);
        // Only the second batch's first file is missing: --resume makes just that batch again.
        foreach (var file in Directory.GetFiles(all).Where(f => !f.EndsWith("sample-016.safetensors"))) File.Copy(file, Path.Combine(part, Path.GetFileName(file)));
        (code, output) = Invoke("sample", "--out", run.Root, "--task", SeenTask(run), "--dest", part, "--samples", "20", "--resume");
        Assert.True(code == 0, output);
        Assert.Equal(File.ReadAllBytes(Path.Combine(all, "sample-016.safetensors")), File.ReadAllBytes(Path.Combine(part, "sample-016.safetensors")));
    }
}

using RawDiffusion.IO;
using RawDiffusion.Pipeline;
using RawDiffusion.Tasks;
using RawDiffusion.Tests.IO;
using RawDiffusion.Tests.Pipeline;
using RawDiffusion.Zoo;

namespace RawDiffusion.Tests.Trainer;

/// <summary>`sample` and `eval` with --architecture on a run whose zoo holds several architectures.</summary>
[Collection(nameof(CliCollection))]
public class MixedArchitectureCliTests
{
    static string SeenTask => TaskSplits.Load(TinyRun.Mixed.Folder.Tasks).Seen[0].Id;

    [Fact]
    public void SampleAndEvalTheChosenArchitecture()
    {
        using var folder = new TempFolder();
        string dest = folder.File("samples");
        var (code, output) = CliTests.Invoke("sample", "--out", TinyRun.Mixed.Root, "--task", SeenTask, "--dest", dest, "--architecture", "two-layer-head", "--samples", "1");
        Assert.True(code == 0, output);
        var architecture = ZooManifest.Load(Path.Combine(TinyRun.Mixed.Folder.Zoo, "two-layer-head")).Architecture;
        string file = Path.Combine(dest, "sample-000.safetensors");
        var weights = WeightsFile.Load(file, architecture);
        Assert.Equal(architecture.Tensors.Select(t => t.Name).Order(), weights.Keys.Order());
        using (var st = SafeTensorsFile.Open(file)) Assert.Equal(architecture.ToJson(), TargetArchitecture.Parse(st.Metadata["architecture"]).ToJson());

        (code, output) = CliTests.Invoke("eval", "--out", TinyRun.Mixed.Root, "--weights", dest, "--task", SeenTask, "--architecture", "two-layer-head");
        Assert.True(code == 0, output);
        Assert.Contains("sample-000.safetensors", output);
    }

    [Fact]
    public void UnknownOrMissingArchitectureIsRefusedListingTheRunsArchitectures()
    {
        using var folder = new TempFolder();
        string dest = folder.File("samples");
        var (code, output) = CliTests.Invoke("sample", "--out", TinyRun.Mixed.Root, "--task", SeenTask, "--dest", dest, "--architecture", "three-layer-head");
        Assert.Equal(1, code);
        Assert.Contains("--architecture \"three-layer-head\": the run's zoo has no architecture of that name (it has \"linear-head\", \"two-layer-head\")", output);
        Assert.False(Directory.Exists(dest));

        (code, output) = CliTests.Invoke("sample", "--out", TinyRun.Mixed.Root, "--task", SeenTask, "--dest", dest);
        Assert.Equal(1, code);
        Assert.Contains("choose one with --architecture NAME", output);

        (code, output) = CliTests.Invoke("eval", "--out", TinyRun.Mixed.Root, "--weights", dest, "--task", SeenTask, "--architecture", "nope");
        Assert.Equal(1, code);
        Assert.Contains("--architecture \"nope\"", output);

        // A run of one architecture takes its own name and refuses any other.
        (code, output) = CliTests.Invoke("sample", "--out", TinyRun.Shared.Root, "--task", TaskSplits.Load(TinyRun.Shared.Folder.Tasks).Seen[0].Id, "--dest", dest, "--architecture", "two-layer-head");
        Assert.Equal(1, code);
        Assert.Contains("(it has \"linear-head\")", output);
    }
}

using RawDiffusion.Backends;
using RawDiffusion.Cuda;
using RawDiffusion.Tests.Trainer;

namespace RawDiffusion.Tests.Cuda;

/// <summary>--device and RAWDIFFUSION_DEVICE: parsing, the CPU choice, and what auto and cuda do where CUDA is missing
/// (this machine, CI) or present (a GPU machine). Shares the CLI collection: both set Backend.Default.</summary>
[Collection(nameof(CliCollection))]
public class DeviceSelectionTests
{
    [Theory]
    [InlineData("auto", DeviceChoice.Auto)]
    [InlineData("CPU", DeviceChoice.Cpu)]
    [InlineData(" cuda ", DeviceChoice.Cuda)]
    [InlineData("gpu", DeviceChoice.Cuda)]
    public void ParsesTheDeviceNames(string text, DeviceChoice expected) =>
        Assert.Equal(expected, DeviceSelection.Parse(text, "--device"));

    [Fact]
    public void AnUnknownDeviceNamesTheSourceAndTheChoices()
    {
        var error = Assert.Throws<ArgumentException>(() => DeviceSelection.Parse("tpu", "RAWDIFFUSION_DEVICE"));
        Assert.Contains("RAWDIFFUSION_DEVICE must be auto, cpu or cuda, not 'tpu'", error.Message);
    }

    [Fact]
    public void CpuBecomesTheDefaultBackendAndDisposingRestoresThePreviousOne()
    {
        var previous = Backend.Default;
        using (var selection = DeviceSelection.Apply(DeviceChoice.Cpu))
        {
            Assert.Same(Backend.Cpu, Backend.Default);
            Assert.StartsWith("CPU (", selection.Description);
            Assert.Contains($"{Environment.ProcessorCount} threads, GEMM: ", selection.Description);
            Assert.Equal(selection.Description, Backend.DefaultDescription);
        }
        Assert.Same(previous, Backend.Default);
    }

    [Fact]
    public void CudaWithoutAUsableGpuFailsNamingWhatIsMissing()
    {
        if (CudaBackend.IsAvailable(out _)) Assert.Skip("a CUDA device is present: the missing-GPU error cannot be shown here");
        var error = Assert.Throws<InvalidOperationException>(() => DeviceSelection.Apply(DeviceChoice.Cuda));
        Assert.StartsWith("--device cuda: no usable GPU: ", error.Message);
        // The driver is what is missing here: the message lists the library names tried.
        if (!File.Exists("/usr/lib/x86_64-linux-gnu/libcuda.so.1")) Assert.Contains("libcuda.so.1", error.Message);
        Assert.Same(Backend.Cpu, Backend.Default);
    }

    [Fact]
    public void AutoFallsBackToTheCpuAndExplainsAtMostOnce()
    {
        if (CudaBackend.IsAvailable(out _)) Assert.Skip("a CUDA device is present: auto picks it");
        CudaBackend.IsAvailable(out string reason);
        var notices = new List<string>();
        using (var first = DeviceSelection.Apply(DeviceChoice.Auto, notices.Add)) Assert.Same(Backend.Cpu, first.Selected);
        using (var second = DeviceSelection.Apply(DeviceChoice.Auto, notices.Add)) Assert.Same(Backend.Cpu, second.Selected);
        Assert.True(notices.Count <= 1, string.Join("\n", notices));
        foreach (var notice in notices) Assert.Contains(reason, notice);
    }

    [Fact]
    public void OnAGpuCudaBecomesTheDefaultAndIsDescribedByName()
    {
        if (!CudaBackend.IsAvailable(out string reason)) Assert.Skip($"no CUDA device: {reason}");
        using var selection = DeviceSelection.Apply(DeviceChoice.Cuda);
        var cuda = Assert.IsType<CudaBackend>(Backend.Default);
        Assert.StartsWith($"CUDA: {cuda.Context.DeviceName} (sm_{cuda.Context.ComputeCapability.Number}", selection.Description);
        Assert.Contains(", driver ", selection.Description);
    }

    [Fact]
    public void EveryTrainerCommandTakesDeviceAndCudaFailsClearlyWithoutAGpu()
    {
        var (code, output) = CliTests.Invoke("zoo", "merge", "--device", "tpu");
        Assert.NotEqual(0, code);
        Assert.Contains("--device must be auto, cpu or cuda, not 'tpu'", output);

        if (CudaBackend.IsAvailable(out _)) return;
        using var folder = new IO.TempFolder();
        (code, output) = CliTests.Invoke("zoo", "merge", "--out", folder.Path, "--device", "cuda");
        Assert.Equal(1, code);
        Assert.Contains("--device cuda: no usable GPU", output);
        Assert.Same(Backend.Cpu, Backend.Default);

        // On the CPU the command itself runs (and fails on its own terms: the folder has no zoo shards).
        (code, output) = CliTests.Invoke("zoo", "merge", "--out", folder.Path, "--device", "cpu");
        Assert.Equal(1, code);
        Assert.DoesNotContain("--device", output);
    }
}

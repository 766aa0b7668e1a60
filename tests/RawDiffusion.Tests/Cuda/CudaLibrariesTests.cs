using RawDiffusion.Cuda.Native;

namespace RawDiffusion.Tests.Cuda;

/// <summary>The library search, with the environment and the loader faked (runs anywhere).</summary>
public class CudaLibrariesTests
{
    static CudaLibraries.LibrarySpec Spec(string logical) => Array.Find(CudaLibraries.Specs, s => s.LogicalName == logical)!;

    [Fact]
    public void EveryLogicalLibraryHasVersionedCandidatesAndAnOverrideVariable()
    {
        Assert.Equal(["libcuda.so.1", "libcuda.so"], Spec("cuda").LinuxNames);
        Assert.Equal(["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"], Spec("cublas").LinuxNames);
        Assert.Equal(["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"], Spec("nvrtc").LinuxNames);
        Assert.Equal(["libcurand.so.10", "libcurand.so"], Spec("curand").LinuxNames);
        Assert.Equal(["RAWDIFFUSION_CUDA_LIB", "RAWDIFFUSION_CUBLAS_LIB", "RAWDIFFUSION_CURAND_LIB", "RAWDIFFUSION_NVRTC_LIB"],
            CudaLibraries.Specs.Select(s => s.OverrideVariable));
    }

    [Fact]
    public void CandidatesAreTriedNewestFirstUntilOneLoads()
    {
        var tried = new List<string>();
        nint handle = CudaLibraries.Load(Spec("nvrtc"), _ => null, (string name, out string reason) =>
        {
            tried.Add(name);
            reason = "not here";
            return name == "libnvrtc.so.11.2" ? 42 : 0;
        });
        Assert.Equal(42, handle);
        if (!OperatingSystem.IsWindows()) Assert.Equal(["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"], tried);
    }

    [Fact]
    public void AnOverrideVariableReplacesTheSearch()
    {
        var tried = new List<string>();
        nint handle = CudaLibraries.Load(Spec("cublas"), v => v == "RAWDIFFUSION_CUBLAS_LIB" ? "/opt/cuda/lib64/libcublas.so.12.4" : null,
            (string name, out string reason) =>
            {
                tried.Add(name);
                reason = "";
                return 7;
            });
        Assert.Equal(7, handle);
        Assert.Equal(["/opt/cuda/lib64/libcublas.so.12.4"], tried);

        var e = Assert.Throws<DllNotFoundException>(() => CudaLibraries.Load(Spec("cublas"),
            _ => "/nowhere/libcublas.so", (string name, out string reason) => { reason = "cannot open shared object file"; return 0; }));
        Assert.Contains("RAWDIFFUSION_CUBLAS_LIB=/nowhere/libcublas.so", e.Message);
        Assert.Contains("cannot open shared object file", e.Message);
    }

    [Fact]
    public void WhenNothingLoadsTheErrorListsEveryNameAndTheOverrideVariable()
    {
        var spec = Spec("cuda");
        var e = Assert.Throws<DllNotFoundException>(() => CudaLibraries.Load(spec, _ => null,
            (string name, out string reason) => { reason = $"{name}: no such file"; return 0; }));
        foreach (var name in spec.Candidates) Assert.Contains(name, e.Message);
        Assert.Contains("RAWDIFFUSION_CUDA_LIB", e.Message);
        Assert.Contains("no such file", e.Message);
    }

    [Fact]
    public void TryLoadReportsUnknownNamesAsErrorsAndMissingLibrariesAsReasons()
    {
        Assert.Throws<ArgumentException>(() => CudaLibraries.Load("cudnn"));
        if (!CudaLibraries.TryLoad(CudaLibraries.Driver, out var failure))
            Assert.Contains("RAWDIFFUSION_CUDA_LIB", failure);
    }
}

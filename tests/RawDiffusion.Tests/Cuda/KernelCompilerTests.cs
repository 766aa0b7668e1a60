using RawDiffusion.Cuda;
using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Tests.Cuda;

/// <summary>Target choice, options, the disk cache and error reporting of the kernel compiler.</summary>
public sealed class KernelCompilerTests : IDisposable
{
    readonly string scratch = Directory.CreateTempSubdirectory("rawdiffusion-kernels-").FullName;

    public void Dispose() => Directory.Delete(scratch, recursive: true);

    [Fact]
    public void CubinForKnownArchitecturesAndPtxForTheNewestOlderOneOtherwise()
    {
        int[] supported = [75, 80, 86, 89, 90];
        Assert.Equal("sm_90", KernelCompiler.TargetArchitecture(new ComputeCapability(9, 0), supported));
        Assert.Equal("sm_86", KernelCompiler.TargetArchitecture(new ComputeCapability(8, 6), supported));
        Assert.Equal("compute_90", KernelCompiler.TargetArchitecture(new ComputeCapability(10, 0), supported));
        Assert.Equal("compute_80", KernelCompiler.TargetArchitecture(new ComputeCapability(8, 2), supported));
        Assert.Throws<NotSupportedException>(() => KernelCompiler.TargetArchitecture(new ComputeCapability(7, 0), supported));
    }

    [Fact]
    public void OptionsTargetTheArchitectureAndAddLineInfoFromNvrtc12()
    {
        Assert.Equal(["--gpu-architecture=sm_90", "-default-device", "--std=c++17"], KernelCompiler.Options("sm_90", (11, 8)));
        Assert.Equal(["--gpu-architecture=compute_100", "-default-device", "--std=c++17", "-lineinfo"], KernelCompiler.Options("compute_100", (13, 0)));
    }

    [Fact]
    public void TheCacheKeyCoversSourceHeadersOptionsAndNvrtcVersion()
    {
        KernelHeader[] headers = [new("common.cuh", "#pragma once")];
        string[] options = ["--gpu-architecture=sm_90"];
        var key = KernelCompiler.CacheKey("a.cu", "src", headers, options, (12, 4));
        Assert.Equal(64, key.Length);
        Assert.Equal(key, KernelCompiler.CacheKey("a.cu", "src", headers, options, (12, 4)));
        Assert.NotEqual(key, KernelCompiler.CacheKey("a.cu", "src ", headers, options, (12, 4)));
        Assert.NotEqual(key, KernelCompiler.CacheKey("a.cu", "src", [new("common.cuh", "#pragma once\n")], options, (12, 4)));
        Assert.NotEqual(key, KernelCompiler.CacheKey("a.cu", "src", headers, ["--gpu-architecture=sm_80"], (12, 4)));
        Assert.NotEqual(key, KernelCompiler.CacheKey("a.cu", "src", headers, options, (13, 0)));
        Assert.NotEqual(key, KernelCompiler.CacheKey("b.cu", "src", headers, options, (12, 4)));
    }

    [Fact]
    public void CompiledBinariesAreCachedOnDiskAndAnEditedSourceCompilesAfresh()
    {
        NvrtcAvailability.Require();
        var sources = CopyOfKernels("random.cu");
        var cache = Path.Combine(scratch, "cache");
        var first = new KernelCompiler(sources, cache).Compile("random.cu", new ComputeCapability(9, 0));
        Assert.False(first.FromCache);
        Assert.Equal(KernelImageKind.Cubin, first.Kind);
        Assert.Equal("sm_90", first.Architecture);
        var file = Assert.Single(Directory.GetFiles(cache));
        Assert.StartsWith("random-", Path.GetFileName(file));
        Assert.EndsWith(".cubin", file);

        var again = new KernelCompiler(sources, cache).Compile("random.cu", new ComputeCapability(9, 0));
        Assert.True(again.FromCache);
        Assert.Equal(first.Image, again.Image);

        File.AppendAllText(Path.Combine(sources.Directory, "random.cu"), "\n// edited\n");
        var edited = new KernelCompiler(sources, cache).Compile("random.cu", new ComputeCapability(9, 0));
        Assert.False(edited.FromCache);
        Assert.Equal(2, Directory.GetFiles(cache).Length);
    }

    [Fact]
    public void AnArchitectureNvrtcDoesNotKnowGetsPtxForTheNewestOneBelowIt()
    {
        NvrtcAvailability.Require();
        var compiled = new KernelCompiler(CopyOfKernels("random.cu"), Path.Combine(scratch, "cache"))
            .Compile("random.cu", new ComputeCapability(9, 9));
        Assert.Equal(KernelImageKind.Ptx, compiled.Kind);
        Assert.StartsWith("compute_", compiled.Architecture);
        var ptx = System.Text.Encoding.UTF8.GetString(compiled.Image);
        Assert.Contains(".entry philox_uniform_f32", ptx);
        Assert.Equal(0, compiled.Image[^1]);
    }

    [Fact]
    public void ACompileErrorNamesTheFileAndCarriesTheFullLog()
    {
        NvrtcAvailability.Require();
        var sources = CopyOfKernels();
        File.WriteAllText(Path.Combine(sources.Directory, "broken.cu"),
            "#include \"common.cuh\"\nextern \"C\" __global__ void broken(float* y) {\n    y[0] = undefined_symbol;\n}\n");
        var e = Assert.Throws<KernelCompilationException>(() =>
            new KernelCompiler(sources, Path.Combine(scratch, "cache")).Compile("broken.cu", new ComputeCapability(9, 0)));
        Assert.Equal("broken.cu", e.FileName);
        Assert.Contains("broken.cu(3)", e.Log);
        Assert.Contains("undefined_symbol", e.Message);
        Assert.Contains("kernels/broken.cu", e.Message);
        Assert.Contains("NVRTC_ERROR_COMPILATION", e.Message);
        Assert.False(Directory.Exists(Path.Combine(scratch, "cache")) && Directory.GetFiles(Path.Combine(scratch, "cache")).Length > 0);
    }

    [Fact]
    public void SourcesAreFoundInTheRepositoryOrNextToTheBinaries()
    {
        var repository = KernelSources.Locate();
        Assert.True(File.Exists(Path.Combine(repository.Directory, "..", "RawDiffusion.sln")));
        Assert.Contains("common.cuh", repository.Headers.Select(h => h.Name));
        // The build copies the sources next to the binaries for runs outside a checkout.
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "kernels", "unary.cu")));
        Assert.Equal(Path.Combine(scratch, "kernels"), CopyOfKernels().Directory);
        Assert.Equal(Path.Combine(scratch, "kernels"), KernelSources.Locate(scratch).Directory);
        Assert.Throws<DirectoryNotFoundException>(() => KernelSources.Locate(Path.Combine(scratch, "kernels")));
        Assert.Throws<FileNotFoundException>(() => repository.Read("missing.cu"));
    }

    /// <summary>A scratch kernels/ folder with the headers and the named sources.</summary>
    KernelSources CopyOfKernels(params string[] files)
    {
        var repository = KernelSources.Locate();
        var directory = Path.Combine(scratch, "kernels");
        Directory.CreateDirectory(directory);
        foreach (var header in repository.Headers) File.WriteAllText(Path.Combine(directory, header.Name), header.Source);
        foreach (var file in files) File.WriteAllText(Path.Combine(directory, file), repository.Read(file));
        return new KernelSources(directory);
    }
}

namespace RawDiffusion.Cuda.Kernels;

/// <summary>The folder holding the kernel sources: kernels/*.cu (one file per op family, compiled separately) and
/// kernels/*.cuh (headers they include, handed to NVRTC by name). In a checkout it is the repository's kernels/
/// folder, found by walking up to RawDiffusion.sln, so an edited kernel is picked up without a rebuild; elsewhere
/// it is the copy the build places next to the binaries.</summary>
internal sealed class KernelSources
{
    public KernelSources(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
            throw new DirectoryNotFoundException($"kernel source folder {directory} does not exist");
        Directory = directory;
    }

    public string Directory { get; }

    /// <summary>The kernel sources next to the repository root above <paramref name="start"/> (default: this
    /// assembly's folder), else the copy in <paramref name="start"/>/kernels.</summary>
    public static KernelSources Locate(string? start = null)
    {
        start ??= AppContext.BaseDirectory;
        for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "RawDiffusion.sln")) && System.IO.Directory.Exists(Path.Combine(dir.FullName, "kernels")))
                return new KernelSources(Path.Combine(dir.FullName, "kernels"));
        var bundled = Path.Combine(start, "kernels");
        if (System.IO.Directory.Exists(bundled)) return new KernelSources(bundled);
        throw new DirectoryNotFoundException(
            $"no kernel sources: neither a repository root (a folder with RawDiffusion.sln and kernels/) above {start} nor {bundled} exists");
    }

    /// <summary>File names of every kernel source (*.cu), sorted.</summary>
    public IReadOnlyList<string> SourceFiles => Names("*.cu");

    public string Read(string fileName)
    {
        var path = Path.Combine(Directory, fileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"kernel source {fileName} is not in {Directory}", path);
        return File.ReadAllText(path);
    }

    /// <summary>Every header (*.cuh) by include name, sorted by name.</summary>
    public IReadOnlyList<KernelHeader> Headers => [.. Names("*.cuh").Select(name => new KernelHeader(name, Read(name)))];

    string[] Names(string pattern) =>
        [.. System.IO.Directory.GetFiles(Directory, pattern).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];
}

/// <summary>A header NVRTC resolves <c>#include "Name"</c> to.</summary>
internal readonly record struct KernelHeader(string Name, string Source);

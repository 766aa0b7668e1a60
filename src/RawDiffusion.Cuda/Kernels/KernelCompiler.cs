using System.Security.Cryptography;
using System.Text;

namespace RawDiffusion.Cuda.Kernels;

internal enum KernelImageKind
{
    /// <summary>Machine code for one architecture (sm_XY): loads without JIT.</summary>
    Cubin,
    /// <summary>PTX for a virtual architecture (compute_XY): the driver JIT-compiles it for the device on load.</summary>
    Ptx,
}

/// <summary>A compiled kernel file, ready for cuModuleLoadData.</summary>
internal sealed record CompiledKernel(string FileName, string Architecture, KernelImageKind Kind, byte[] Image, string Log, bool FromCache);

/// <summary>Compiles kernels/*.cu with NVRTC for a device's compute capability and caches the result on disk.
/// The target is CUBIN for sm_XY when this NVRTC knows the architecture; otherwise PTX for the newest virtual
/// architecture it knows at or below the device's (a GPU newer than the NVRTC runs it through the driver's JIT).
/// The cache key is the SHA-256 of the source, its headers, the options and the NVRTC version, so an edited
/// kernel or another toolkit compiles afresh and a stale binary is never loaded.</summary>
internal sealed class KernelCompiler
{
    public const string CacheVariable = "RAWDIFFUSION_KERNEL_CACHE";

    static readonly Lazy<(int Major, int Minor)> version = new(NvrtcProgram.Version);
    static readonly Lazy<int[]> supportedArchitectures = new(NvrtcProgram.SupportedArchitectures);

    public KernelCompiler(KernelSources sources, string? cacheDirectory = null)
    {
        Sources = sources;
        CacheDirectory = cacheDirectory ?? DefaultCacheDirectory();
    }

    public KernelSources Sources { get; }
    public string CacheDirectory { get; }

    /// <summary>$RAWDIFFUSION_KERNEL_CACHE, else ~/.cache/rawdiffusion/kernels.</summary>
    public static string DefaultCacheDirectory() =>
        Environment.GetEnvironmentVariable(CacheVariable) is { Length: > 0 } overridden ? overridden
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "rawdiffusion", "kernels");

    /// <summary>The loaded NVRTC's version.</summary>
    public static (int Major, int Minor) NvrtcVersion => version.Value;

    /// <summary>The architecture string to compile for: "sm_XY" (CUBIN) when supported, else "compute_XY" (PTX)
    /// for the newest supported XY at or below the device's.</summary>
    public static string TargetArchitecture(ComputeCapability device, IReadOnlyList<int> supported)
    {
        if (supported.Contains(device.Number)) return $"sm_{device.Number}";
        var older = supported.Where(a => a < device.Number).ToArray();
        if (older.Length == 0)
            throw new NotSupportedException(
                $"this NVRTC generates code for sm_{supported.Min()} to sm_{supported.Max()}; the device is compute capability {device}");
        return $"compute_{older.Max()}";
    }

    /// <summary>NVRTC options for one architecture. -lineinfo (source lines for Nsight Compute) only from NVRTC 12:
    /// NVRTC 11.8's sm_90 code generator crashes the process on -lineinfo with any function template.</summary>
    public static IReadOnlyList<string> Options(string architecture, (int Major, int Minor) nvrtcVersion)
    {
        var options = new List<string> { $"--gpu-architecture={architecture}", "-default-device", "--std=c++17" };
        if (nvrtcVersion.Major >= 12) options.Add("-lineinfo");
        return options;
    }

    /// <summary>Hex SHA-256 of everything that determines the binary.</summary>
    public static string CacheKey(string fileName, string source, IReadOnlyList<KernelHeader> headers, IReadOnlyList<string> options, (int Major, int Minor) nvrtcVersion)
    {
        var text = new StringBuilder()
            .Append("rawdiffusion kernel cache 1\0").Append(fileName).Append('\0').Append(source).Append('\0');
        foreach (var header in headers.OrderBy(h => h.Name, StringComparer.Ordinal))
            text.Append(header.Name).Append('\0').Append(header.Source).Append('\0');
        text.Append(string.Join('\n', options)).Append('\0').Append($"nvrtc {nvrtcVersion.Major}.{nvrtcVersion.Minor}");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The binary of one kernel file for a device, from the cache when present.</summary>
    /// <exception cref="KernelCompilationException">NVRTC rejected the source; the message has the full log.</exception>
    public CompiledKernel Compile(string fileName, ComputeCapability device)
    {
        var source = Sources.Read(fileName);
        var headers = Sources.Headers;
        var architecture = TargetArchitecture(device, supportedArchitectures.Value);
        var options = Options(architecture, NvrtcVersion);
        var stem = Path.Combine(CacheDirectory, $"{Path.GetFileNameWithoutExtension(fileName)}-{CacheKey(fileName, source, headers, options, NvrtcVersion)}");

        foreach (var kind in (KernelImageKind[])[KernelImageKind.Cubin, KernelImageKind.Ptx])
        {
            var cached = ReadCached(stem + Extension(kind));
            if (cached != null) return new CompiledKernel(fileName, architecture, kind, cached, "", FromCache: true);
        }

        var output = NvrtcProgram.Compile(fileName, source, headers, options);
        if (!output.Succeeded)
            throw new KernelCompilationException(fileName, options, Native.Nvrtc.ErrorString(output.Status), output.Log);
        var (imageKind, image) = output.Cubin.Length > 0 ? (KernelImageKind.Cubin, output.Cubin) : (KernelImageKind.Ptx, output.Ptx);
        if (image.Length == 0) throw new InvalidOperationException($"NVRTC compiled {fileName} for {architecture} but returned neither CUBIN nor PTX");
        WriteCached(stem + Extension(imageKind), image);
        return new CompiledKernel(fileName, architecture, imageKind, image, output.Log, FromCache: false);
    }

    static string Extension(KernelImageKind kind) => kind == KernelImageKind.Cubin ? ".cubin" : ".ptx";

    static byte[]? ReadCached(string path)
    {
        try
        {
            if (!File.Exists(path)) return null;
            var bytes = File.ReadAllBytes(path);
            return bytes.Length > 0 ? bytes : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Writes through a temporary file and a rename, so a concurrent reader never sees half a binary.
    /// The cache only saves time: a folder that cannot be written is not an error.</summary>
    static void WriteCached(string path, byte[] image)
    {
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(temporary, image);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temporary); } catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException) { }
        }
    }
}

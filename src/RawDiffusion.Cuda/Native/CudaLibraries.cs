using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

// Every binding is blittable (pointers, nint, enums, primitives): no marshalling code runs on a call.
[assembly: DisableRuntimeMarshalling]

namespace RawDiffusion.Cuda.Native;

/// <summary>Finds the CUDA libraries for every <c>[LibraryImport]</c> in this assembly. The bindings name logical
/// libraries ("cuda", "cublas", "curand", "nvrtc"); this resolver maps each to the versioned file names that
/// toolkits actually install (no distribution ships an unversioned libcublas.so without the -dev package), so
/// one build runs against CUDA 11.x, 12.x and 13.x. An environment variable naming a full path replaces the
/// search for that library.</summary>
internal static class CudaLibraries
{
    public const string Driver = "cuda";
    public const string Cublas = "cublas";
    public const string Curand = "curand";
    public const string Nvrtc = "nvrtc";

    /// <summary>One logical library: the override variable and the names tried, newest first.</summary>
    internal sealed record LibrarySpec(string LogicalName, string OverrideVariable, string[] LinuxNames, string[] WindowsNames)
    {
        public string[] Candidates => OperatingSystem.IsWindows() ? WindowsNames : LinuxNames;
    }

    internal static readonly LibrarySpec[] Specs =
    [
        new(Driver, "RAWDIFFUSION_CUDA_LIB", ["libcuda.so.1", "libcuda.so"], ["nvcuda.dll"]),
        new(Cublas, "RAWDIFFUSION_CUBLAS_LIB", ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"],
            ["cublas64_13.dll", "cublas64_12.dll", "cublas64_11.dll"]),
        new(Curand, "RAWDIFFUSION_CURAND_LIB", ["libcurand.so.10", "libcurand.so"], ["curand64_10.dll"]),
        new(Nvrtc, "RAWDIFFUSION_NVRTC_LIB", ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"],
            ["nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll"]),
    ];

    static readonly ConcurrentDictionary<string, nint> loaded = new();

    // A module initializer, not a static constructor: the resolver must be in place before the first binding runs,
    // whichever type of this assembly is touched first.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RegisterResolver() =>
        NativeLibrary.SetDllImportResolver(typeof(CudaLibraries).Assembly, Resolve);

    static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        Array.Exists(Specs, s => s.LogicalName == libraryName) ? Load(libraryName) : 0;

    /// <summary>The handle of a logical library, loaded on first use.</summary>
    /// <exception cref="DllNotFoundException">Nothing loaded; the message lists every name tried and the override variable.</exception>
    public static nint Load(string logicalName)
    {
        if (loaded.TryGetValue(logicalName, out var handle)) return handle;
        handle = Load(Spec(logicalName), Environment.GetEnvironmentVariable, LoadOrExplain);
        return loaded.GetOrAdd(logicalName, handle);
    }

    /// <summary>Whether a logical library loads here; <paramref name="failure"/> says why not (for skipping tests).</summary>
    public static bool TryLoad(string logicalName, out string failure)
    {
        try
        {
            Load(logicalName);
            failure = "";
            return true;
        }
        catch (DllNotFoundException e)
        {
            failure = e.Message;
            return false;
        }
    }

    /// <summary>Tries one name; returns the handle, or 0 and the loader's reason.</summary>
    internal delegate nint TryLoadLibrary(string nameOrPath, out string reason);

    /// <summary>The search itself, with the environment and the loader injected so it can be tested anywhere.</summary>
    internal static nint Load(LibrarySpec spec, Func<string, string?> environment, TryLoadLibrary tryLoad)
    {
        var overridePath = environment(spec.OverrideVariable);
        if (!string.IsNullOrWhiteSpace(overridePath))
        {
            var handle = tryLoad(overridePath, out var reason);
            if (handle != 0) return handle;
            throw new DllNotFoundException(
                $"the CUDA library '{spec.LogicalName}' could not be loaded from {spec.OverrideVariable}={overridePath}: {reason}");
        }
        var failures = new List<string>();
        foreach (var name in spec.Candidates)
        {
            var handle = tryLoad(name, out var reason);
            if (handle != 0) return handle;
            failures.Add($"  {name}: {reason}");
        }
        throw new DllNotFoundException(
            $"the CUDA library '{spec.LogicalName}' was not found; tried {string.Join(", ", spec.Candidates)}. " +
            $"Install it or set {spec.OverrideVariable} to the library's full path.{Environment.NewLine}" +
            string.Join(Environment.NewLine, failures));
    }

    static LibrarySpec Spec(string logicalName) =>
        Array.Find(Specs, s => s.LogicalName == logicalName)
        ?? throw new ArgumentException($"unknown CUDA library '{logicalName}'", nameof(logicalName));

    static nint LoadOrExplain(string nameOrPath, out string reason)
    {
        try
        {
            reason = "";
            return NativeLibrary.Load(nameOrPath);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            reason = LoaderReason(e.Message);
            return 0;
        }
    }

    /// <summary>The loader's own words (dlerror's "cannot open shared object file..." line) without the runtime's
    /// generic advice around them.</summary>
    internal static string LoaderReason(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? message : lines[^1];
    }
}

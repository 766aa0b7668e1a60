using RawDiffusion.Backends;

namespace RawDiffusion.Cuda;

/// <summary>Which device a program runs on: <c>--device</c> on the command line, else <c>RAWDIFFUSION_DEVICE</c>, else auto.</summary>
public enum DeviceChoice
{
    /// <summary>The first GPU where the CUDA driver, a device and NVRTC are found, otherwise the CPU (saying why).</summary>
    Auto,
    Cpu,
    /// <summary>The first GPU, or an error naming what is missing.</summary>
    Cuda,
}

/// <summary>
/// The one place the Trainer and the benchmarks turn a <see cref="DeviceChoice"/> into <see cref="Backend.Default"/>:
/// every model, tensor and optimizer created afterwards lives on that backend, so no command needs its own device code.
/// Disposing the selection releases the GPU and puts the previous default back.
/// </summary>
public sealed class DeviceSelection : IDisposable
{
    public const string Variable = "RAWDIFFUSION_DEVICE";
    public const string Values = "auto, cpu or cuda";

    /// <summary>The auto fallback explains itself once per process, not once per command a test or script runs.</summary>
    static int autoFallbackExplained;

    readonly IBackend previous;
    readonly CudaBackend? cuda;
    bool disposed;

    DeviceSelection(IBackend backend, CudaBackend? cuda)
    {
        previous = Backend.Default;
        this.cuda = cuda;
        Selected = backend;
        Backend.Default = backend;
    }

    /// <summary>The backend now in <see cref="Backend.Default"/>.</summary>
    public IBackend Selected { get; }

    /// <summary>What runs: <see cref="IBackend.Description"/> of the selected backend.</summary>
    public string Description => Selected.Description;

    /// <summary>The choice when the command line names none: <c>RAWDIFFUSION_DEVICE</c> if set, else "auto".</summary>
    public static string DefaultValue =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value.Trim() : "auto";

    /// <summary>Null when <paramref name="value"/> names a device, else the message for <paramref name="source"/>
    /// (an option or the environment variable).</summary>
    public static string? Problem(string? value, string source) =>
        TryParse(value, out _) ? null : $"{source} must be {Values}, not '{value}'";

    public static bool TryParse(string? value, out DeviceChoice choice)
    {
        choice = DeviceChoice.Auto;
        switch (value?.Trim().ToLowerInvariant())
        {
            case "auto": choice = DeviceChoice.Auto; return true;
            case "cpu": choice = DeviceChoice.Cpu; return true;
            case "cuda" or "gpu": choice = DeviceChoice.Cuda; return true;
            default: return false;
        }
    }

    /// <summary>Parses <paramref name="value"/>; an unknown name is an <see cref="ArgumentException"/> naming
    /// <paramref name="source"/> and the accepted values.</summary>
    public static DeviceChoice Parse(string? value, string source) =>
        TryParse(value, out var choice) ? choice : throw new ArgumentException(Problem(value, source));

    /// <summary>Makes the chosen device <see cref="Backend.Default"/>. For <see cref="DeviceChoice.Cuda"/> without a
    /// usable GPU this throws <see cref="InvalidOperationException"/> naming what is missing (the libraries tried, or
    /// the device); for <see cref="DeviceChoice.Auto"/> it falls back to the CPU and passes the reason to
    /// <paramref name="notice"/>, once per process.</summary>
    public static DeviceSelection Apply(DeviceChoice choice, Action<string>? notice = null)
    {
        if (choice == DeviceChoice.Cpu) return new DeviceSelection(Backend.Cpu, null);
        if (CudaBackend.TryCreate(out var cuda, out string reason)) return new DeviceSelection(cuda, cuda);
        if (choice == DeviceChoice.Cuda)
            throw new InvalidOperationException($"--device cuda: no usable GPU: {reason}");
        if (Interlocked.Exchange(ref autoFallbackExplained, 1) == 0)
            notice?.Invoke($"device auto: running on the CPU because {reason} (choose with --device or {Variable})");
        return new DeviceSelection(Backend.Cpu, null);
    }

    /// <summary>Releases the GPU this selection opened and restores the previous default backend.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        cuda?.Dispose();
        Backend.Default = previous;
    }
}

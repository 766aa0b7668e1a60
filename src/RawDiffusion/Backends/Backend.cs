using RawDiffusion.Backends.Cpu;

namespace RawDiffusion.Backends;

/// <summary>Which backend new tensors go to when none is named.</summary>
public static class Backend
{
    static IBackend? defaultBackend;

    public static IBackend Cpu => CpuBackend.Instance;

    /// <summary>The CPU backend unless set otherwise (the CUDA backend registers itself here when chosen).</summary>
    public static IBackend Default
    {
        get => defaultBackend ?? CpuBackend.Instance;
        set => defaultBackend = value;
    }
}

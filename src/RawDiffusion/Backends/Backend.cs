using RawDiffusion.Backends.Cpu;

namespace RawDiffusion.Backends;

/// <summary>Which backend new tensors go to when none is named.</summary>
public static class Backend
{
    static IBackend? defaultBackend;

    public static IBackend Cpu => CpuBackend.Instance;

    /// <summary>Which implementation the CPU backend's matrix products use (RAWDIFFUSION_GEMM = auto | managed | blas).</summary>
    public static GemmProvider CpuGemmProvider
    {
        get => CpuGemm.Provider;
        set => CpuGemm.Provider = value;
    }

    /// <summary>What actually runs the CPU's matrix products, e.g. "managed AVX-512 kernel" or "OpenBLAS 0.3.21 (libopenblas.so.0)".</summary>
    public static string CpuGemmDescription => CpuGemm.ActiveProviderDescription;

    /// <summary>What runs new tensors' work: <see cref="IBackend.Description"/> of <see cref="Default"/>.</summary>
    public static string DefaultDescription => Default.Description;

    /// <summary>The CPU backend unless set otherwise (RawDiffusion.Cuda's DeviceSelection sets the CUDA backend here for --device cuda).</summary>
    public static IBackend Default
    {
        get => defaultBackend ?? CpuBackend.Instance;
        set => defaultBackend = value;
    }
}

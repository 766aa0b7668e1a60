using System.Runtime.InteropServices;

namespace RawDiffusion.Backends.Cpu;

/// <summary>The reference backend: managed memory, SIMD through System.Runtime.Intrinsics / Vector&lt;T&gt;,
/// and the thread pool for large operations. Every other backend is tested against this one.</summary>
internal sealed partial class CpuBackend : IBackend
{
    public static readonly CpuBackend Instance = new();

    CpuBackend() { }

    public string Name => "cpu";

    /// <summary>E.g. "CPU (AMD EPYC 9654 96-Core Processor, 2 threads, GEMM: managed AVX-512 kernel)".</summary>
    public string Description => $"CPU ({CpuModel.Value}, {Environment.ProcessorCount} threads, GEMM: {Backend.CpuGemmDescription})";

    static readonly Lazy<string> CpuModel = new(ReadCpuModel);

    /// <summary>The "model name" of /proc/cpuinfo, or the architecture where there is none (not Linux).</summary>
    static string ReadCpuModel()
    {
        const string cpuInfo = "/proc/cpuinfo";
        string? line = File.Exists(cpuInfo) ? File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
        return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':') + 1)..].Trim();
    }

    /// <summary>Below this many elements an operation runs on one thread: the fork/join costs more than it saves.</summary>
    internal const int ParallelThreshold = 1 << 15;

    public DeviceBuffer Allocate(DType dtype, long length) => new CpuBuffer(dtype, length);

    public void Upload<T>(ReadOnlySpan<T> source, DeviceBuffer destination, long offset) where T : unmanaged =>
        source.CopyTo(MemoryMarshal.Cast<byte, T>(Cpu(destination).Bytes).Slice((int)offset));

    public void Download<T>(DeviceBuffer source, long offset, Span<T> destination) where T : unmanaged =>
        MemoryMarshal.Cast<byte, T>(Cpu(source).Bytes).Slice((int)offset, destination.Length).CopyTo(destination);

    public void Synchronize() { }

    internal static CpuBuffer Cpu(DeviceBuffer buffer) =>
        buffer as CpuBuffer ?? throw new ArgumentException($"buffer belongs to backend {buffer.Backend.Name}, not cpu");
}

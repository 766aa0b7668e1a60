namespace RawDiffusion.Cuda.Kernels;

/// <summary>NVRTC rejected a kernel source. The message carries the file name, the options and NVRTC's full log,
/// whose diagnostics name lines of that file.</summary>
public sealed class KernelCompilationException(string fileName, IReadOnlyList<string> options, string status, string log)
    : Exception($"NVRTC could not compile kernels/{fileName} ({status}) with options {string.Join(' ', options)}:{Environment.NewLine}{log}")
{
    public string FileName { get; } = fileName;
    public string Log { get; } = log;
}

using System.Runtime.InteropServices;

namespace RawDiffusion.Bench;

/// <summary>What a benchmark ran on, for the report header.</summary>
internal static class MachineDescription
{
    public static string CpuModel { get; } = ReadCpuModel();

    public static int Cores => Environment.ProcessorCount;

    public static string Runtime => RuntimeInformation.FrameworkDescription;

    /// <summary>
    /// The 1-minute load average, or null where /proc/loadavg does not exist. Reported because other processes on
    /// a shared machine lower every figure, ours and PyTorch's alike.
    /// </summary>
    public static string? LoadAverage =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : null;

    private static string ReadCpuModel()
    {
        const string cpuInfo = "/proc/cpuinfo";
        if (!File.Exists(cpuInfo))
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }

        string? line = File.ReadLines(cpuInfo).FirstOrDefault(text => text.StartsWith("model name", StringComparison.Ordinal));
        return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':') + 1)..].Trim();
    }
}

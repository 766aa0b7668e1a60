using System.Runtime.InteropServices;

namespace RawDiffusion.Bench;

/// <summary>What a benchmark ran on, for the report header.</summary>
internal static class MachineDescription
{
    public static string CpuModel { get; } = ReadCpuModel();

    public static int Cores => Environment.ProcessorCount;

    public static string Runtime => RuntimeInformation.FrameworkDescription;

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

using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;

namespace RawDiffusion.Bench;

/// <summary>What tools/bench/torch_reference.py reported: its environment and the subcommand's results.</summary>
internal sealed record TorchReport(string TorchVersion, string Blas, int Threads, string Python, JsonElement Results);

/// <summary>
/// Runs <c>python3 tools/bench/torch_reference.py &lt;subcommand&gt; ...</c> and parses the JSON object it prints.
/// </summary>
internal static class TorchReference
{
    public const string PythonVariable = "RAWDIFFUSION_PYTHON";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(15);

    /// <summary>
    /// The interpreter named by RAWDIFFUSION_PYTHON, else python3 from PATH and then the system one: a python3
    /// earlier on PATH (pyenv, a virtual environment) often lacks torch while the distribution's torch package
    /// is installed for /usr/bin/python3.
    /// </summary>
    private static IReadOnlyList<string> Interpreters =>
        Environment.GetEnvironmentVariable(PythonVariable) is { Length: > 0 } chosen
            ? [chosen]
            : OperatingSystem.IsWindows() ? ["python3", "python"] : ["python3", "/usr/bin/python3"];

    public static string ScriptPath => Path.Combine(RepositoryPaths.Root, "tools", "bench", "torch_reference.py");

    /// <summary>Runs the subcommand with the first interpreter that can import torch; otherwise explains why none could.</summary>
    public static TorchReport? TryRun(string subcommand, IEnumerable<string> arguments, out string problem)
    {
        var problems = new List<string>();
        foreach (string python in Interpreters.Distinct())
        {
            if (TryRunWith(python, subcommand, arguments, out TorchReport? report, out string reason))
            {
                problem = "";
                return report;
            }

            problems.Add($"{python}: {reason}");
        }

        problem = $"PyTorch reference unavailable ({string.Join("; ", problems)}). " +
            $"Install torch for python3 or set {PythonVariable} to an interpreter that has it.";
        return null;
    }

    private static bool TryRunWith(string python, string subcommand, IEnumerable<string> arguments, out TorchReport? report, out string reason)
    {
        report = null;
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryPaths.Root,
        };
        start.ArgumentList.Add(ScriptPath);
        start.ArgumentList.Add(subcommand);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception($"{python} did not start");
        }
        catch (Win32Exception error)
        {
            reason = $"not found or not runnable ({error.Message})";
            return false;
        }

        using (process)
        {
            Task<string> standardError = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                reason = $"no answer within {Timeout.TotalMinutes} minutes";
                return false;
            }

            string lastLine = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
            if (process.ExitCode != 0)
            {
                reason = TryReadError(lastLine) ?? $"exit code {process.ExitCode}: {standardError.Result.Trim()}";
                return false;
            }

            try
            {
                JsonElement root = JsonDocument.Parse(lastLine).RootElement;
                report = new TorchReport(
                    root.GetProperty("torch_version").GetString() ?? "?",
                    root.GetProperty("blas").GetString() ?? "?",
                    root.GetProperty("threads").GetInt32(),
                    root.GetProperty("python").GetString() ?? python,
                    root.GetProperty("results").Clone());
                reason = "";
                return true;
            }
            catch (Exception error) when (error is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                reason = $"unexpected output '{lastLine}' ({error.Message})";
                return false;
            }
        }
    }

    private static string? TryReadError(string line)
    {
        try
        {
            return JsonDocument.Parse(line).RootElement.TryGetProperty("error", out JsonElement error) ? error.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace RawDiffusion.Tests.Reliability;

/// <summary>
/// The real trainer as a child process: the Trainer.dll the test project's reference copies beside the tests, run by
/// the same `dotnet` host. Its output is collected as it comes, so a test can wait for a line (a stage's progress) and
/// then kill or signal it.
/// </summary>
internal sealed partial class TrainerProcess : IDisposable
{
    readonly Process process;
    readonly StringBuilder output = new();

    public static string TrainerDll => Path.Combine(AppContext.BaseDirectory, "Trainer.dll");

    static string DotnetHost => Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";

    public TrainerProcess(params string[] args)
    {
        var start = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(TrainerDll);
        foreach (var a in args) start.ArgumentList.Add(a);
        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Args = string.Join(" ", args);
    }

    public string Args { get; }

    public int Id => process.Id;

    void Append(string? line)
    {
        if (line == null) return;
        lock (output) output.AppendLine(line);
    }

    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    public bool HasExited => process.HasExited;

    /// <summary>Waits until <paramref name="ready"/> holds (checked every few milliseconds) or the process ends; returns
    /// whether it held while the process still ran.</summary>
    public bool WaitUntil(Func<string, bool> ready, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (ready(Output)) return !process.HasExited;
            if (process.HasExited) return false;
            Thread.Sleep(5);
        }
        throw new TimeoutException($"`Trainer {Args}` did not reach the expected point in {timeout.TotalSeconds} s:\n{Output}");
    }

    /// <summary>SIGKILL: no handler runs, no file is closed; the kernel ends the process where it stands.</summary>
    public void Kill()
    {
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
        process.WaitForExit();
    }

    /// <summary>Sends SIGTERM, as `kill PID`, systemd or a batch scheduler would.</summary>
    public void Terminate() => Assert.Equal(0, kill(process.Id, SigTerm));

    const int SigTerm = 15;

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);

    /// <summary>The exit code, after waiting for the process to end.</summary>
    public int Wait(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout)) { Kill(); throw new TimeoutException($"`Trainer {Args}` ran past {timeout.TotalSeconds} s:\n{Output}"); }
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>Runs the trainer to the end and returns its exit code and output.</summary>
    public static (int Code, string Output) Run(TimeSpan timeout, params string[] args)
    {
        using var trainer = new TrainerProcess(args);
        int code = trainer.Wait(timeout);
        return (code, trainer.Output);
    }

    public void Dispose()
    {
        if (!process.HasExited) Kill();
        process.Dispose();
    }
}

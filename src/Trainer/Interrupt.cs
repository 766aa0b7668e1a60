using System.Runtime.InteropServices;

namespace RawDiffusion.Trainer;

/// <summary>Turns Ctrl-C (SIGINT) and SIGTERM (what `kill`, systemd and batch schedulers send) into a
/// <see cref="CancellationToken"/>: the first signal cancels the token and keeps the process alive so the running stage
/// can finish its step, save its checkpoint and exit with <see cref="ExitCode"/>; a second one is left to the runtime,
/// which ends the process at once.</summary>
internal sealed class Interrupt : IDisposable
{
    /// <summary>The shell's convention for a process ended by SIGINT (128 + 2); a run stopped by SIGTERM exits the same
    /// way, since it stopped just as cleanly.</summary>
    public const int ExitCode = 130;

    readonly CancellationTokenSource source = new();
    readonly PosixSignalRegistration? terminate;

    public Interrupt()
    {
        Console.CancelKeyPress += OnCancelKeyPress;
        // Not every platform has SIGTERM (PlatformNotSupportedException there); Ctrl-C still works.
        try { terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnTerminate); }
        catch (PlatformNotSupportedException) { }
    }

    public CancellationToken Token => source.Token;

    public bool Requested => source.IsCancellationRequested;

    void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        if (source.IsCancellationRequested) return;
        e.Cancel = true;
        Request("Interrupted: finishing the current step and saving the checkpoint (Ctrl-C again to quit without saving).");
    }

    void OnTerminate(PosixSignalContext context)
    {
        if (source.IsCancellationRequested) return;
        context.Cancel = true;
        Request("Terminated (SIGTERM): finishing the current step and saving the checkpoint (send it again to quit without saving).");
    }

    void Request(string message)
    {
        source.Cancel();
        Console.Error.WriteLine(message);
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        terminate?.Dispose();
        source.Dispose();
    }
}

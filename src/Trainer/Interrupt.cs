namespace RawDiffusion.Trainer;

/// <summary>Turns Ctrl-C into a <see cref="CancellationToken"/>: the first press cancels the token and keeps the process
/// alive so the running stage can finish its step, save its checkpoint and exit with <see cref="ExitCode"/>; a second
/// press is left to the runtime, which ends the process at once.</summary>
internal sealed class Interrupt : IDisposable
{
    /// <summary>The shell's convention for a process ended by SIGINT (128 + 2).</summary>
    public const int ExitCode = 130;

    readonly CancellationTokenSource source = new();

    public Interrupt() => Console.CancelKeyPress += OnCancelKeyPress;

    public CancellationToken Token => source.Token;

    public bool Requested => source.IsCancellationRequested;

    void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        if (source.IsCancellationRequested) return;
        e.Cancel = true;
        source.Cancel();
        Console.Error.WriteLine("Interrupted: finishing the current step and saving the checkpoint (Ctrl-C again to quit without saving).");
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        source.Dispose();
    }
}

using System.CommandLine;
using System.CommandLine.Invocation;
using RawDiffusion.Cuda;
using RawDiffusion.Pipeline;
using RawDiffusion.Training;
using Spectre.Console;

namespace RawDiffusion.Trainer;

/// <summary>Options the pipeline commands share, and the one place errors become messages and exit codes.</summary>
internal static class Cli
{
    /// <summary>The trainer's command tree (what Program.cs invokes; tests parse and invoke it directly).</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("RawDiffusion trainer: D2NWG weight generation. With no command it runs the demo (configs/demo.json into runs/demo) on the real data shipped in data/.");
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(ZooCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(SampleCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(ClassifyCommand.Create());
        root.Subcommands.Add(LmCommand.Create());
        root.Subcommands.Add(SpectrumCommand.Create());
        root.SetAction(_ => RunCommand.Demo());
        var device = DeviceOption();
        root.Options.Add(device);
        OnSelectedDevice.Wrap(root, device);
        return root;
    }

    /// <summary>--device on the root and, being recursive, on every command; defaults to RAWDIFFUSION_DEVICE or auto.</summary>
    public static Option<string> DeviceOption() => new Option<string>("--device")
    {
        Description = $"Device to run on: {DeviceSelection.Values} (default: ${DeviceSelection.Variable}, else auto = the GPU where CUDA is usable, else the CPU)",
        Recursive = true,
        DefaultValueFactory = _ => DeviceSelection.DefaultValue,
    }.Check(value => DeviceSelection.Problem(value, Environment.GetEnvironmentVariable(DeviceSelection.Variable) is { Length: > 0 } ? $"--device (or {DeviceSelection.Variable})" : "--device"));

    /// <summary>Runs a command's action on the device --device names, so no command carries device code of its own.</summary>
    sealed class OnSelectedDevice(SynchronousCommandLineAction inner, Option<string> device) : SynchronousCommandLineAction
    {
        public static void Wrap(Command command, Option<string> device)
        {
            if (command.Action is SynchronousCommandLineAction action) command.Action = new OnSelectedDevice(action, device);
            foreach (var sub in command.Subcommands) Wrap(sub, device);
        }

        public override int Invoke(ParseResult parseResult)
        {
            DeviceSelection selection;
            try
            {
                selection = DeviceSelection.Apply(DeviceSelection.Parse(parseResult.GetValue(device), "--device"), Log);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
                return 1;
            }
            using (selection) return inner.Invoke(parseResult);
        }
    }

    /// <summary>Adds a check of the option's own value. System.CommandLine 3.0 runs a command's validators before default
    /// values are applied (GetValue there gives default(T) for an option not on the command line, so a check there
    /// would reject every default), while an option's validators see its value, given or defaulted.</summary>
    public static Option<T> Check<T>(this Option<T> option, Func<T, string?> problem)
    {
        option.Validators.Add(r =>
        {
            T value;
            // A value that does not convert (e.g. "x" for a number) has its own parse error already.
            try { value = r.GetValueOrDefault<T>(); }
            catch (InvalidOperationException) { return; }
            if (problem(value) is { } message) r.AddError(message);
        });
        return option;
    }

    public static Option<string?> ConfigOption() => new("--config") { Description = "Pipeline config file (default: configs/demo.json)" };
    public static Option<string> OutOption() => new("--out") { Description = "Run folder holding every stage's files", DefaultValueFactory = _ => Path.Combine("runs", "demo") };
    public static Option<string?> DataOption() => new("--data") { Description = "Folder with the Fashion-MNIST / MNIST files laid out like data/ (default: data/ in the repository, or RAWDIFFUSION_DATA)" };
    public static Option<bool> ResumeOption() => new("--resume") { Description = "Continue an interrupted run from its checkpoints, keeping finished stages" };

    public static PipelineConfig LoadConfig(string? path) => PipelineConfig.Load(path ?? PipelineConfig.DefaultPath());

    /// <summary>The config a run folder was made with.</summary>
    public static PipelineConfig RunConfig(RunFolder run) => PipelineConfig.Load(run.Require(run.Config, "zoo build` or `run"));

    /// <summary>Runs a command body: Ctrl-C cancels it (exit 130 once it has saved), and expected failures print one
    /// clear line instead of a stack trace.</summary>
    public static int Guard(Func<CancellationToken, int> body)
    {
        using var interrupt = new Interrupt();
        try
        {
            int code = body(interrupt.Token);
            if (interrupt.Requested)
            {
                AnsiConsole.MarkupLine("[yellow]interrupted:[/] checkpoints are saved; run the same command with --resume to continue");
                return Interrupt.ExitCode;
            }
            return code;
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine("[yellow]interrupted:[/] finished work is saved; run the same command with --resume to continue");
            return Interrupt.ExitCode;
        }
        catch (Exception e) when (e is IOException or FormatException or ArgumentException or InvalidOperationException or UnauthorizedAccessException or CheckpointException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
    }

    /// <summary>Stage options that show each training stage as a progress bar.</summary>
    public static StageOptions Stages(bool resume, CancellationToken cancel) =>
        new(resume, (stage, steps, run) => StageProgress.Run(stage, steps, p => run(p)), cancel);

    public static void Log(string message) => AnsiConsole.MarkupLineInterpolated($"[grey]{DateTime.Now:HH:mm:ss}[/] {message}");
}

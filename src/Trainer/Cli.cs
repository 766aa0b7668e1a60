using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;
using RawDiffusion.Cuda;
using RawDiffusion.IO;
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
        root.Subcommands.Add(InterpolateCommand.Create());
        root.Subcommands.Add(ClassifyCommand.Create());
        root.Subcommands.Add(LmCommand.Create());
        root.Subcommands.Add(SpectrumCommand.Create());
        root.SetAction(_ => RunCommand.Demo());
        var device = DeviceOption();
        root.Options.Add(device);
        OnSelectedDevice.Wrap(root, device);
        NameValueErrors(root);
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

    /// <summary>Gives every numeric option a parser whose error names the option and the kind of number it takes
    /// (System.CommandLine's own names the .NET type, e.g. System.Nullable`1[System.Int32]).</summary>
    static void NameValueErrors(Command command)
    {
        foreach (var option in command.Options)
        {
            switch (option)
            {
                case Option<int> o when o.CustomParser == null: o.CustomParser = r => Number<int>(r, o.Name, "a whole number", NumberStyles.Integer); break;
                case Option<int?> o when o.CustomParser == null: o.CustomParser = r => Number<int>(r, o.Name, "a whole number", NumberStyles.Integer); break;
                case Option<ulong> o when o.CustomParser == null: o.CustomParser = r => Number<ulong>(r, o.Name, "a whole number", NumberStyles.Integer); break;
                case Option<double> o when o.CustomParser == null: o.CustomParser = r => Number<double>(r, o.Name, "a number", NumberStyles.Float); break;
            }
        }
        foreach (var sub in command.Subcommands) NameValueErrors(sub);
    }

    static T Number<T>(ArgumentResult result, string option, string kind, NumberStyles styles) where T : struct, INumber<T>, IMinMaxValue<T>
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (T.TryParse(text, styles, CultureInfo.InvariantCulture, out var value) && (typeof(T) != typeof(double) || double.IsFinite(double.CreateChecked(value))))
            return value;
        string range = typeof(T) == typeof(double) ? "finite" : $"from {T.MinValue.ToString(null, CultureInfo.InvariantCulture)} to {T.MaxValue.ToString(null, CultureInfo.InvariantCulture)}";
        result.AddError($"{option}: \"{text}\" is not {kind} ({range})");
        return default;
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

    public static PipelineConfig LoadConfig(string? path) => Checked(path ?? PipelineConfig.DefaultPath());

    /// <summary>The config a run folder was made with.</summary>
    public static PipelineConfig RunConfig(RunFolder run) => Checked(run.Require(run.Config, "zoo build` or `run"));

    /// <summary>A config file that passed every check before work (architecture, task counts, sizes against the
    /// machine's memory).</summary>
    static PipelineConfig Checked(string path)
    {
        var config = PipelineConfig.Load(path);
        ConfigValidation.Check(config, path, ConfigValidation.AvailableMemoryBytes());
        return config;
    }

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
        catch (Exception e) when (e is IOException or FormatException or ArgumentException or InvalidOperationException or UnauthorizedAccessException
                                       or CheckpointException or InvalidDataException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {Describe(e)}");
            return 1;
        }
        catch (OutOfMemoryException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] out of memory ({FormatBytes(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes)} available): make the config's networks or batch sizes smaller; checkpoints saved so far are valid and --resume continues from them");
            return 1;
        }
    }

    /// <summary>The error's message; the file formats' errors start with the file's name only, which is ambiguous in a run
    /// folder (checkpoints/diffusion.safetensors and diffusion.safetensors), so they get the full path instead.</summary>
    public static string Describe(Exception e)
    {
        string? path = e switch
        {
            SafeTensorsFormatException s => s.FilePath,
            NpyFormatException n => n.FilePath,
            CheckpointException c => c.FilePath,
            _ => null,
        };
        string name = path == null ? "" : Path.GetFileName(path) + ": ";
        return path != null && e.Message.StartsWith(name, StringComparison.Ordinal) ? path + ": " + e.Message[name.Length..] : e.Message;
    }

    /// <summary>Reads an option's value in a command validator, or null when it has none or it does not parse (the
    /// option's own error reports that).</summary>
    public static T? ValueOrDefault<T>(CommandResult result, Option<T> option)
    {
        try { return result.GetValue(option); }
        catch (InvalidOperationException) { return default; }
    }

    /// <summary>Takes the run folder's writer lock for <paramref name="command"/> (creating the folder), saying when it
    /// reclaims the lock of a writer that died.</summary>
    public static RunLock Writer(RunFolder run, string command)
    {
        var held = RunLock.Acquire(run.Root, command);
        if (held.ReclaimedFrom is { } dead)
            Log($"reclaimed the run folder's lock from {dead}, which ended without releasing it; removed {held.RemovedTemporaries} unfinished temporary file(s)");
        return held;
    }

    /// <summary>Runs <paramref name="body"/> as the run folder's only writer. A folder this command created is removed
    /// again when the command fails before writing anything but its config (bad input leaves no half-made folder).</summary>
    public static int AsWriter(RunFolder run, string command, Func<int> body)
    {
        bool fresh = !Directory.Exists(run.Root);
        try
        {
            using var writer = Writer(run, command);
            return body();
        }
        catch (Exception e) when (fresh && e is not OperationCanceledException)
        {
            RemoveIfUnstarted(run);
            throw;
        }
    }

    static void RemoveIfUnstarted(RunFolder run)
    {
        var keep = new[] { run.Config, Path.Combine(run.Root, RunLock.FileName), Path.Combine(run.Root, RunLock.OwnerFileName) };
        if (!Directory.Exists(run.Root) || Directory.EnumerateFileSystemEntries(run.Root).Any(p => !keep.Contains(p))) return;
        try { Directory.Delete(run.Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public static string FormatBytes(long bytes) => MemoryEstimate.Format(bytes);

    /// <summary>Stage options that show each training stage as a progress bar.</summary>
    public static StageOptions Stages(bool resume, CancellationToken cancel) =>
        new(resume, (stage, steps, run) => StageProgress.Run(stage, steps, p => run(p)), cancel);

    public static void Log(string message) => AnsiConsole.MarkupLineInterpolated($"[grey]{DateTime.Now:HH:mm:ss}[/] {message}");
}

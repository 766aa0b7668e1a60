using System.CommandLine;
using RawDiffusion.Pipeline;
using RawDiffusion.Zoo;
using Spectre.Console;

namespace RawDiffusion.Trainer;

/// <summary>`run`: every stage from one config file, then the comparison table, report and plots. With no command at
/// all the trainer runs this on configs/demo.json into runs/demo (continuing a finished or interrupted demo).</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var config = Cli.ConfigOption();
        var output = Cli.OutOption();
        var data = Cli.DataOption();
        var resume = Cli.ResumeOption();
        var command = new Command("run", "Run all stages from one config: zoo -> VAE -> dataset encoder -> diffusion -> generated weights, report and plots")
            { config, output, data, resume };
        command.SetAction(p => Cli.Guard(cancel => Run(Cli.LoadConfig(p.GetValue(config)), new RunFolder(p.GetValue(output)!), p.GetValue(data), p.GetValue(resume), cancel)));
        return command;
    }

    /// <summary>The no-argument demo: configs/demo.json into runs/demo; a demo folder made with the same config is
    /// continued (finished stages are reused) rather than refused.</summary>
    public static int Demo() => Cli.Guard(cancel =>
    {
        var config = Cli.LoadConfig(null);
        var run = new RunFolder(Path.Combine("runs", "demo"));
        bool resume = File.Exists(run.Config);
        if (resume) Cli.Log($"{run.Root} exists: reusing its finished stages (delete the folder to start over)");
        return Run(config, run, null, resume, cancel);
    });

    public static int Run(PipelineConfig config, RunFolder run, string? dataRoot, bool resume, CancellationToken cancel) =>
        Cli.AsWriter(run, "run", () => RunAsWriter(config, run, dataRoot, resume, cancel));

    static int RunAsWriter(PipelineConfig config, RunFolder run, string? dataRoot, bool resume, CancellationToken cancel)
    {
        PipelineRun.PrepareFolder(config, run, resume);
        Cli.Log($"D2NWG run in {run.Root}; matrix products by {RawDiffusion.Backends.Backend.CpuGemmDescription}");
        var report = PipelineRun.RunAll(config, run, dataRoot, Cli.Stages(resume, cancel), ZooCommand.Progress(), Cli.Log);
        if (report == null) return Interrupt.ExitCode;
        Print(report);
        WritePlots(run, report);
        Cli.Log($"wrote {run.ReportMarkdown}, {run.ReportJson} and plots in {run.Plots}");
        return 0;
    }

    public static void Print(DemoReport report)
    {
        var table = new Table().Title($"Test accuracy (%) of {report.Architecture} weights, {report.Samples} samples per task from {report.SupportPerClass} examples per class");
        foreach (var c in DemoReport.Columns) table.AddColumn(new TableColumn(c) { Alignment = c == "tasks" ? Justify.Left : Justify.Right });
        foreach (var row in report.Rows()) table.AddRow(row.Select(Markup.Escape).ToArray());
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"finished in {report.Elapsed.TotalSeconds:F0} s");
    }

    public static void WritePlots(RunFolder run, DemoReport report)
    {
        Directory.CreateDirectory(run.Plots);
        foreach (var stage in new[] { VaeStage.Name, EncoderStage.Name, DiffusionStage.Name })
            if (File.Exists(run.StageMetrics(stage)))
                Plots.LossCurves(run.StageMetrics(stage), Path.Combine(run.Plots, stage + "-loss.png"), $"{stage} training loss", logScale: true);
        foreach (var group in report.Tasks.GroupBy(t => t.Group))
        {
            var series = new List<(string, IReadOnlyList<double>)> { ("generated", group.SelectMany(t => t.Generated).Select(a => 100 * a).ToArray()) };
            if (group.All(t => t.Zoo != null)) series.Add(("zoo models", group.SelectMany(t => t.Zoo!).Select(a => 100 * a).ToArray()));
            series.Add(("random init", group.Select(t => 100 * t.RandomInit).ToArray()));
            series.Add(("mean of zoo", group.Select(t => 100 * t.MeanOfZoo).ToArray()));
            series.Add(("nearest seen task", group.Select(t => 100 * t.Nearest).ToArray()));
            var file = string.Concat(group.Key.Select(ch => char.IsLetterOrDigit(ch) ? ch : '-'));
            Plots.AccuracyDistributions(Path.Combine(run.Plots, $"accuracy-{file}.png"), $"Test accuracy (%): {group.Key}", series);
        }
    }
}

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
        PipelineRun.PrepareFolder(config, run, resume, Cli.Log);
        Cli.Log($"D2NWG run in {run.Root} on {RawDiffusion.Backends.Backend.DefaultDescription}");
        var report = PipelineRun.RunAll(config, run, dataRoot, Cli.Stages(resume, cancel), ZooCommand.Progress(), Cli.Log);
        if (report == null) return Interrupt.ExitCode;
        Print(report);
        WritePlots(run, report);
        Cli.Log($"wrote {run.ReportMarkdown}, {run.ReportJson} and plots in {run.Plots}");
        return 0;
    }

    public static void Print(DemoReport report)
    {
        var table = new Table().Border(TableBorder.Simple)
            .Title($"Test accuracy (%) of {report.Architecture} ({report.Layout}): {report.ConditionSets} support sets x {report.Samples} samples per task, {report.SupportPerClass} examples per class");
        foreach (var c in report.Columns) table.AddColumn(new TableColumn(c) { Alignment = c == "tasks" ? Justify.Left : Justify.Right, Padding = new Padding(0, 0, 1, 0) });
        foreach (var row in report.Rows()) table.AddRow(row.Select(Markup.Escape).ToArray());
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(Markup.Escape($"gen: all samples; top{report.SelectTop}: best by support accuracy (no test labels); " +
                                             (report.HasPredictor ? $"pred{report.SelectTop}: best by the accuracy predictor; " : "") + "+sup: refined on the support set; " +
                                             "proto / probe / near: prototype head, probe, nearest seen task from the same support set; zoo / mean / rand: own zoo models, zoo mean, random init. " +
                                             "report.md explains each column."));
        if (report.FineTuneEpochs.Length > 0)
        {
            var fine = new Table().Border(TableBorder.Simple).Title("Fine-tuning: test accuracy (%) after N epochs on the task's training rows");
            foreach (var c in report.FineTuneColumns) fine.AddColumn(new TableColumn(c) { Alignment = c is "tasks" or "start" ? Justify.Left : Justify.Right });
            foreach (var row in report.FineTuneRows()) fine.AddRow(row.Select(Markup.Escape).ToArray());
            AnsiConsole.Write(fine);
        }
        var shots = report.Groups().SelectMany(g => g.Shots.Select(k => (g.Group, k))).ToArray();
        if (shots.Length > 0)
        {
            var table2 = new Table().Border(TableBorder.Simple).Title("Other support sizes: test accuracy (%) with K examples per class")
                .AddColumns("tasks", "K", "gen", "+sup", "proto", "probe");
            static string P(Summary? s) => s == null ? "–" : (100 * s.Mean).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
            foreach (var (group, k) in shots)
                table2.AddRow(Markup.Escape(group == DemoReport.CrossGroup ? report.CrossDomain : group), k.PerClass.ToString(System.Globalization.CultureInfo.InvariantCulture),
                              P(k.Generated), P(k.Refined), P(k.Prototype), P(k.Probe));
            AnsiConsole.Write(table2);
        }
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
            var series = new List<(string, IReadOnlyList<double>)> { ("generated", group.SelectMany(t => t.Generated.SelectMany(s => s)).Select(a => 100 * a).ToArray()) };
            if (group.All(t => t.Refined != null)) series.Add(("generated + support", group.SelectMany(t => t.Refined!.SelectMany(s => s)).Select(a => 100 * a).ToArray()));
            if (group.All(t => t.Zoo != null)) series.Add(("zoo models", group.SelectMany(t => t.Zoo!).Select(a => 100 * a).ToArray()));
            series.Add(("prototype head", group.SelectMany(t => t.Prototype).Select(a => 100 * a).ToArray()));
            series.Add(("probe", group.SelectMany(t => t.Probe).Select(a => 100 * a).ToArray()));
            series.Add(("nearest seen task", group.SelectMany(t => t.Nearest).Select(a => 100 * a).ToArray()));
            series.Add(("mean of zoo", group.Select(t => 100 * t.MeanOfZoo).ToArray()));
            series.Add(("random init", group.SelectMany(t => t.Random).Select(a => 100 * a).ToArray()));
            var file = FileName(group.Key);
            Plots.AccuracyDistributions(Path.Combine(run.Plots, $"accuracy-{file}.png"), $"Test accuracy (%): {group.Key}\non {report.Device}", series);
        }
        if (report.FineTuneEpochs.Length > 0)
            foreach (var g in report.Groups())
                Plots.FineTuneCurves(Path.Combine(run.Plots, $"fine-tune-{FileName(g.Group)}.png"), $"Fine-tuning: {g.Group}", [0, .. report.FineTuneEpochs],
                    g.FineTune.Select(kv => (kv.Key, (IReadOnlyList<double>)kv.Value.Select(s => 100 * s.Mean).ToArray(), (IReadOnlyList<double>)kv.Value.Select(s => 100 * s.Ci95).ToArray())).ToArray());
    }

    static string FileName(string group) => string.Concat(group.Select(ch => char.IsLetterOrDigit(ch) ? ch : '-'));
}

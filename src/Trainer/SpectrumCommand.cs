using System.CommandLine;
using System.Globalization;
using RawDiffusion.Cuda;
using RawDiffusion.Spectrum;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace RawDiffusion.Trainer;

/// <summary>`spectrum PATH`: Marchenko–Pastur analysis of every weight matrix of a checkpoint (a .safetensors file, a sharded
/// folder with model.safetensors.index.json, a run or zoo folder, or one of our checkpoints), tensor by tensor from
/// memory-mapped files. Writes snr.json, the top layers per group as Spectrum's YAML, PNG plots, and prints a table.</summary>
internal static class SpectrumCommand
{
    public sealed record Options(string Path, string Out, double TopPercent, SnrFormula RankBy, string Device, int? Layers, string? Match, string[] Plot);

    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A .safetensors file, a folder with model.safetensors.index.json, or a run/zoo folder" };
        var output = new Option<string>("--out") { Description = "Folder for snr.json, unfrozen_parameters.yaml and plots/", DefaultValueFactory = _ => Path.Combine("runs", "spectrum") };
        var top = new Option<double>("--top-percent") { Description = "Percent of each group's layers listed in the YAML (Spectrum's rule: floor(count * P / 100))", DefaultValueFactory = _ => 50 }
            .Check(v => v is > 0 and <= 100 ? null : "--top-percent must be in (0, 100]");
        var rankBy = new Option<string>("--rank-by") { Description = "SNR that ranks layers: spectrum (Spectrum's, default) or paper (D2NWG Eq. 8)", DefaultValueFactory = _ => "spectrum" }
            .Check(v => v is "spectrum" or "paper" ? null : $"--rank-by: unknown formula \"{v}\" (choose spectrum or paper)");
        var device = new Option<string>("--device") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" }
            .Check(v => v is "cpu" or "cuda" ? null : $"--device: unknown device \"{v}\" (choose cpu or cuda)");
        var layers = new Option<int?>("--layers") { Description = "Scan only layers 0..N-1 (tensors without a layer number are kept)" }
            .Check(v => v is null or > 0 ? null : "--layers must be at least 1");
        var match = new Option<string?>("--match") { Description = "Scan only tensors whose name contains this text" };
        var plot = new Option<string[]>("--plot") { Description = "Tensors whose spectral density to plot (default: the highest-SNR matrix of each group, at most 8)", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [] };
        var command = new Command("spectrum", "Marchenko–Pastur spectrum analysis of every weight matrix of a checkpoint") { path, output, top, rankBy, device, layers, match, plot };
        command.SetAction(parse => Cli.Guard(cancel => Run(new Options(parse.GetValue(path)!, parse.GetValue(output)!, parse.GetValue(top),
            parse.GetValue(rankBy) == "paper" ? SnrFormula.Paper : SnrFormula.Spectrum, parse.GetValue(device)!, parse.GetValue(layers),
            parse.GetValue(match), parse.GetValue(plot)!), cancel)));
        return command;
    }

    public static int Run(Options options, CancellationToken cancel = default)
    {
        var checkpoint = CheckpointMatrices.Open(options.Path);
        CudaBackend? cuda = null;
        try
        {
            ISingularValueSolver solver;
            if (options.Device == "cuda")
            {
                if (!CudaBackend.TryCreate(out cuda, out string reason))
                {
                    throw new InvalidOperationException($"--device cuda: no usable CUDA device ({reason})");
                }
                solver = new CudaSingularValueSolver(cuda);
            }
            else
            {
                solver = new CpuSingularValueSolver();
            }
            int analysed = checkpoint.Tensors.Count(t => t.SkipReason is null);
            Cli.Log($"{checkpoint.Path}: {checkpoint.Tensors.Count} tensors, {analysed} matrices (largest {checkpoint.LargestTensorBytes / 1048576.0:F1} MiB); singular values on {solver.Device}");
            SpectrumReport report = WithProgress(progress => SpectrumScan.Run(checkpoint, solver, options.Layers, options.Match, progress, cancel));
            Write(report, options);
            return 0;
        }
        catch (InvalidDataException e)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
        finally
        {
            cuda?.Dispose();
        }
    }

    static void Write(SpectrumReport report, Options options)
    {
        Directory.CreateDirectory(options.Out);
        (string json, string yaml) = report.Save(options.Out, options.TopPercent, options.RankBy);

        // A log file has no width; let long tensor names stay on one line there instead of Spectre's assumed 80 columns.
        if (!AnsiConsole.Profile.Capabilities.Interactive) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 200);
        var table = new Table().AddColumns("tensor", "shape", "spikes", "spike mass", "MP σ", "bulk edge", "s_max", "Spectrum SNR", "Eq. 8 SNR", "time");
        foreach (var (group, matrices) in report.Groups())
        {
            foreach (MatrixResult m in matrices)
            {
                MatrixSpectrum s = m.Spectrum;
                table.AddRow(Markup.Escape(m.Tensor.Name), $"{s.Rows}x{s.Columns}", s.Spikes.ToString(CultureInfo.InvariantCulture),
                    s.SpikeMass.ToString("P1", CultureInfo.InvariantCulture), Format(s.NoiseStd), Format(s.BulkEdge), Format(s.LargestSingularValue),
                    Format(s.SpectrumSnr), Format(s.PaperSnr), $"{m.Seconds:F2} s");
            }
        }
        AnsiConsole.Write(table);
        if (report.Skipped.Count > 0)
        {
            AnsiConsole.MarkupLineInterpolated($"[grey]skipped {report.Skipped.Count} tensors: {string.Join(", ", report.Skipped.GroupBy(t => t.SkipReason).Select(g => $"{g.Count()} {g.Key}"))} (listed in snr.json)[/]");
        }

        string plots = Path.Combine(options.Out, "plots");
        var chosen = options.Plot.Length > 0
            ? options.Plot.Select(name => report.Matrices.FirstOrDefault(m => m.Tensor.Name == name || m.Tensor.Module.Module == name)
                ?? throw new ArgumentException($"--plot: no analysed tensor named '{name}'")).ToList()
            : report.Groups().Select(g => g.Matrices.MaxBy(m => SpectrumReport.Snr(m.Spectrum, options.RankBy))!).Take(8).ToList();
        foreach (MatrixResult m in chosen)
        {
            SpectrumPlots.Density(m, Path.Combine(plots, $"density-{FileSafe(m.Tensor.Name)}.png"));
        }
        SpectrumPlots.SnrByLayer(report, SnrFormula.Spectrum, Path.Combine(plots, "snr-spectrum.png"));
        SpectrumPlots.SnrByLayer(report, SnrFormula.Paper, Path.Combine(plots, "snr-paper.png"));
        Cli.Log($"{report.Matrices.Count} matrices in {report.Seconds:F1} s on {report.Device}; wrote {json}, {yaml} and {plots}/");
    }

    static string Format(double? value) => value switch
    {
        null => "-",
        double.PositiveInfinity => "inf",
        double x => x.ToString("G4", CultureInfo.InvariantCulture),
    };

    static string FileSafe(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_'));

    /// <summary>Runs the scan under a progress bar showing tensors/s and the time left; a plain line every 10% when the
    /// console is not interactive.</summary>
    static SpectrumReport WithProgress(Func<IProgress<ScanProgress>, SpectrumReport> scan)
    {
        var console = AnsiConsole.Console;
        if (!console.Profile.Capabilities.Interactive) return scan(new LineProgress(console));
        return console.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RateColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("spectrum", maxValue: 1);
                var result = scan(new Progress(task));
                task.StopTask();
                return result;
            });
    }

    static string Describe(ScanProgress p) => p.Done == p.Total ? $"spectrum: {p.Total} tensors" : $"spectrum: {p.Done}/{p.Total} {p.Current}";

    static double TensorsPerSecond(ScanProgress p) => p.Done > 0 && p.Elapsed.TotalSeconds > 0 ? p.Done / p.Elapsed.TotalSeconds : 0;

    static string Rate(double tensorsPerSecond) =>
        tensorsPerSecond > 0 ? $"{tensorsPerSecond.ToString("F2", CultureInfo.InvariantCulture)} tensors/s" : "-- tensors/s";

    sealed class Progress(ProgressTask task) : IProgress<ScanProgress>
    {
        public void Report(ScanProgress value)
        {
            task.MaxValue = Math.Max(1, value.Total);
            task.Description = Markup.Escape(Describe(value));
            task.State.Update<double>("rate", _ => TensorsPerSecond(value));
            task.Value = value.Done;
        }
    }

    sealed class RateColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(Rate(task.State.Get<double>("rate")), Color.Grey);
    }

    sealed class LineProgress(IAnsiConsole console) : IProgress<ScanProgress>
    {
        long lastTenth = -1;

        public void Report(ScanProgress value)
        {
            long tenth = value.Done * 10L / Math.Max(value.Total, 1);
            if (tenth == lastTenth && value.Done != value.Total) return;
            lastTenth = tenth;
            string left = value.Done > 0 ? TimeSpan.FromSeconds(Math.Ceiling(value.Elapsed.TotalSeconds / value.Done * (value.Total - value.Done))).ToString("hh\\:mm\\:ss", CultureInfo.InvariantCulture) : "--:--:--";
            console.Profile.Out.Writer.WriteLine($"{Describe(value)} ({100.0 * value.Done / Math.Max(value.Total, 1):F0}%, {Rate(TensorsPerSecond(value))}, {left} left)");
        }
    }
}

using RawDiffusion.Training;
using ScottPlot;

namespace RawDiffusion.Trainer;

/// <summary>The pipeline's PNG figures, drawn with ScottPlot. Each file is rendered to a temporary file beside the target
/// and renamed over it, so a figure is never left half written.</summary>
internal static class Plots
{
    const int Width = 900;
    const int Height = 540;

    /// <summary>One line per metric column of the metrics CSV at <paramref name="csvPath"/> against the step. With
    /// <paramref name="logScale"/> the y axis is logarithmic (values &lt;= 0 cannot be shown there and are left out).</summary>
    public static void LossCurves(string csvPath, string pngPath, string title, bool logScale = false)
    {
        var rows = MetricsCsv.ReadAll(csvPath);
        if (rows.Count == 0) throw new FormatException($"{csvPath}: no metrics rows to plot");
        var plot = new Plot();
        double[] steps = rows.Select(r => (double)r.Step).ToArray();
        foreach (var column in rows[0].Values.Keys)
        {
            var xs = new List<double>();
            var ys = new List<double>();
            for (int i = 0; i < rows.Count; i++)
            {
                double y = rows[i].Values[column];
                if (!double.IsFinite(y) || (logScale && y <= 0)) continue;
                xs.Add(steps[i]);
                ys.Add(logScale ? Math.Log10(y) : y);
            }
            var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray());
            line.LegendText = column;
            line.LineWidth = 1.5f;
        }
        if (logScale)
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true,
                LabelFormatter = y => Math.Pow(10, y).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
            };
        // The device each part of the run trained on (a resumed run may have changed it), from the file's notes.
        var devices = MetricsCsv.ReadNotes(csvPath).Where(n => n.StartsWith("device: ", StringComparison.Ordinal)).Select(n => n["device: ".Length..]).Distinct().ToArray();
        plot.Title(devices.Length == 0 ? title : $"{title}\non {string.Join(" + ", devices)}");
        plot.XLabel("step");
        plot.YLabel(logScale ? "value (log scale)" : "value");
        plot.ShowLegend(Alignment.UpperRight);
        Save(plot, pngPath);
    }

    /// <summary>A box plot per group of values (e.g. test accuracies of generated samples, zoo models and random
    /// initialisations): quartiles in the box, whiskers at the extremes, every value drawn as a point beside its box so
    /// small groups stay readable, and the group's size in its label.</summary>
    public static void AccuracyDistributions(string pngPath, string title, IReadOnlyList<(string Label, IReadOnlyList<double> Values)> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (groups.Count == 0) throw new ArgumentException("no groups to plot", nameof(groups));
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var positions = new double[groups.Count];
        var labels = new string[groups.Count];
        for (int g = 0; g < groups.Count; g++)
        {
            var (label, values) = groups[g];
            var sorted = values.Where(double.IsFinite).Order().ToArray();
            if (sorted.Length == 0) throw new ArgumentException($"group '{label}' has no finite values", nameof(groups));
            positions[g] = g;
            var box = plot.Add.Box(new Box
            {
                Position = g,
                WhiskerMin = sorted[0],
                BoxMin = Quantile(sorted, 0.25),
                BoxMiddle = Quantile(sorted, 0.5),
                BoxMax = Quantile(sorted, 0.75),
                WhiskerMax = sorted[^1],
                Width = 0.5,
            });
            box.FillColor = palette.GetColor(g).WithAlpha(0.35);
            box.LineColor = palette.GetColor(g);
            plot.Add.Markers(sorted.Select(_ => g + 0.35).ToArray(), sorted, MarkerShape.OpenCircle, 5, palette.GetColor(g));
            labels[g] = $"{label} (n={sorted.Length})";
        }
        plot.Axes.Bottom.SetTicks(positions, labels);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.HideGrid();
        plot.Title(title);
        plot.YLabel("accuracy");
        Save(plot, pngPath);
    }

    /// <summary>Accuracy against fine-tuning epochs, one line per start with error bars (the 95% interval over tasks);
    /// the x axis is log(1 + epochs) so 0, 1, 5 and 25 epochs are all readable.</summary>
    public static void FineTuneCurves(string pngPath, string title, IReadOnlyList<int> epochs, IReadOnlyList<(string Label, IReadOnlyList<double> Mean, IReadOnlyList<double> Ci95)> starts)
    {
        if (starts.Count == 0) throw new ArgumentException("no fine-tuning curves to plot", nameof(starts));
        var plot = new Plot();
        double[] xs = epochs.Select(e => Math.Log(1 + e)).ToArray();
        foreach (var (label, mean, ci) in starts)
        {
            var line = plot.Add.ScatterLine(xs, mean.ToArray());
            line.LegendText = label;
            line.LineWidth = 1.5f;
            line.MarkerSize = 6;
            var bars = plot.Add.ErrorBar(xs, mean.ToArray(), ci.ToArray());
            bars.Color = line.Color;
        }
        plot.Axes.Bottom.SetTicks(xs, epochs.Select(e => e.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        plot.Title(title);
        plot.XLabel("fine-tuning epochs");
        plot.YLabel("test accuracy (%)");
        plot.ShowLegend(Alignment.LowerRight);
        Save(plot, pngPath);
    }

    /// <summary>Accuracy on each task along an interpolation path: the mean of the samples at every t with a band of one
    /// standard deviation.</summary>
    public static void InterpolationPath(string pngPath, RawDiffusion.Pipeline.InterpolationPath path, string condition)
    {
        var plot = new Plot();
        double[] ts = path.Points.Select(p => p.T).ToArray();
        foreach (var (label, mean, sd) in new[]
                 {
                     ($"on A = {path.From}", path.Points.Select(p => 100 * p.MeanFrom).ToArray(), path.Points.Select(p => 100 * p.SdFrom).ToArray()),
                     ($"on B = {path.To}", path.Points.Select(p => 100 * p.MeanTo).ToArray(), path.Points.Select(p => 100 * p.SdTo).ToArray()),
                 })
        {
            var line = plot.Add.ScatterLine(ts, mean);
            line.LegendText = label;
            line.LineWidth = 2;
            line.MarkerSize = 5;
            var bars = plot.Add.ErrorBar(ts, mean, sd);
            bars.Color = line.Color;
        }
        plot.Title($"Interpolation ({condition}): {path.SharedClasses} shared classes");
        plot.XLabel("t (0 = A's condition, 1 = B's)");
        plot.YLabel("test accuracy (%)");
        plot.Axes.SetLimitsY(0, 100);
        plot.ShowLegend(Alignment.LowerCenter);
        Save(plot, pngPath);
    }

    /// <summary>Mean accuracy on A and on B along the path, averaged over the pairs of each group.</summary>
    public static void InterpolationSummary(string pngPath, IReadOnlyList<(string Group, IReadOnlyList<RawDiffusion.Pipeline.InterpolationPath> Paths)> groups, string condition)
    {
        var plot = new Plot();
        foreach (var (group, paths) in groups)
        {
            if (paths.Count == 0) continue;
            double[] ts = paths[0].Points.Select(p => p.T).ToArray();
            foreach (var (label, f) in new (string, Func<RawDiffusion.Pipeline.InterpolationPoint, double>)[] { ("on A", p => p.MeanFrom), ("on B", p => p.MeanTo) })
            {
                var line = plot.Add.ScatterLine(ts, ts.Select((_, i) => 100 * paths.Average(p => f(p.Points[i]))).ToArray());
                line.LegendText = $"{group} pairs ({paths.Count}), {label}";
                line.LineWidth = 2;
                line.MarkerSize = 5;
                if (group != groups[0].Group) line.LinePattern = LinePattern.Dashed;
            }
        }
        plot.Title($"Interpolation between tasks ({condition}): mean over pairs");
        plot.XLabel("t (0 = A's condition, 1 = B's)");
        plot.YLabel("test accuracy (%)");
        plot.Axes.SetLimitsY(0, 100);
        plot.ShowLegend(Alignment.LowerCenter);
        Save(plot, pngPath);
    }

    /// <summary>Linear interpolation between order statistics (NumPy's default).</summary>
    static double Quantile(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
    }

    internal static void Save(Plot plot, string pngPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(pngPath);
        string full = Path.GetFullPath(pngPath);
        string folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        byte[] png = plot.GetImageBytes(Width, Height, ImageFormat.Png);
        string temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(temporary, png);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}

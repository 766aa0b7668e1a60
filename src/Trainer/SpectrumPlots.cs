using RawDiffusion.Spectrum;
using ScottPlot;

namespace RawDiffusion.Trainer;

/// <summary>The spectrum command's figures: a matrix's eigenvalue density under the fitted Marchenko–Pastur law, and SNR
/// against layer index per group.</summary>
internal static class SpectrumPlots
{
    const int Bins = 80;

    /// <summary>Histogram (as a density) of the eigenvalues λ = s²/N with the fitted law drawn over it; spikes beyond the
    /// plotted range are counted in the title.</summary>
    public static void Density(MatrixResult matrix, string pngPath)
    {
        MatrixSpectrum s = matrix.Spectrum;
        int n = Math.Max(s.Rows, s.Columns);
        double[] lambda = matrix.SingularValues.Select(x => x * x / n).ToArray();
        double variance = s.NoiseStd is { } std ? std * std : double.NaN;
        double edge = double.IsFinite(variance) ? MarchenkoPastur.Edges(s.AspectRatio, variance).Upper : lambda.Max();
        // The bulk decides the range; a few spikes far out would squash it to one bar.
        double top = Math.Max(edge * 1.6, lambda.Where(x => x <= edge * 1.6).DefaultIfEmpty(edge).Max());
        double width = top / Bins;
        var counts = new double[Bins];
        foreach (double x in lambda.Where(x => x < top)) counts[Math.Min(Bins - 1, (int)(x / width))]++;
        var plot = new Plot();
        var bars = plot.Add.Bars(Enumerable.Range(0, Bins).Select(i => (i + 0.5) * width).ToArray(),
            counts.Select(c => c / lambda.Length / width).ToArray());
        foreach (var bar in bars.Bars) { bar.Size = width; bar.LineWidth = 0; bar.FillColor = Colors.SteelBlue.WithAlpha(0.6); }
        bars.LegendText = "eigenvalues s²/N";
        if (double.IsFinite(variance))
        {
            double[] xs = Enumerable.Range(0, 600).Select(i => top * i / 599.0).ToArray();
            var line = plot.Add.ScatterLine(xs, xs.Select(x => MarchenkoPastur.Density(x, s.AspectRatio, variance)).ToArray());
            line.LegendText = $"Marchenko–Pastur, σ = {s.NoiseStd:G3}, q = {s.AspectRatio:G3}";
            line.LineWidth = 2;
            line.Color = Colors.OrangeRed;
            var marker = plot.Add.VerticalLine(edge);
            marker.LinePattern = LinePattern.Dashed;
            marker.Color = Colors.Black;
            marker.LegendText = "bulk edge λ₊";
        }
        int outside = lambda.Count(x => x >= top);
        plot.Title($"{matrix.Tensor.Name} ({s.Rows}x{s.Columns}): {s.Spikes} spikes{(outside > 0 ? $", {outside} beyond the plot" : "")}");
        plot.XLabel("eigenvalue of W^T W / N");
        plot.YLabel("density");
        plot.Axes.SetLimitsX(0, top);
        plot.ShowLegend(Alignment.UpperRight);
        Plots.Save(plot, pngPath);
    }

    /// <summary>One line per group with a layer number: SNR (log scale) against layer index.</summary>
    public static void SnrByLayer(SpectrumReport report, SnrFormula formula, string pngPath)
    {
        var plot = new Plot();
        bool any = false;
        foreach ((string group, IReadOnlyList<MatrixResult> matrices) in report.Groups())
        {
            var points = matrices.Where(m => m.Tensor.Module.Layer is not null)
                .Select(m => (X: (double)m.Tensor.Module.Layer!.Value, Y: SpectrumReport.Snr(m.Spectrum, formula)))
                .Where(p => double.IsFinite(p.Y) && p.Y > 0).ToArray();
            if (points.Length == 0) continue;
            var line = plot.Add.ScatterLine(points.Select(p => p.X).ToArray(), points.Select(p => Math.Log10(p.Y)).ToArray());
            line.LegendText = group;
            line.LineWidth = 1.5f;
            line.MarkerSize = 4;
            any = true;
        }
        if (!any) return;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            LabelFormatter = y => Math.Pow(10, y).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
        };
        plot.Title($"{(formula == SnrFormula.Spectrum ? "Spectrum SNR / s_max" : "D2NWG Eq. 8 SNR")} by layer");
        plot.XLabel("layer");
        plot.YLabel("SNR (log scale)");
        plot.ShowLegend(Alignment.UpperRight);
        Plots.Save(plot, pngPath);
    }
}

using RawDiffusion.Language;
using ScottPlot;

namespace RawDiffusion.Trainer;

/// <summary>The lm run's layer-selection figure: per module type, the SNR that ranked each decoder layer (log scale),
/// with the chosen layers drawn as large filled markers.</summary>
internal static class LmPlots
{
    /// <summary>Returns false (and draws nothing) when the selection was not ranked by SNR.</summary>
    public static bool SnrByLayer(LayerChoice choice, string pngPath)
    {
        var ranked = choice.Scores.Where(s => double.IsFinite(s.Snr) && s.Snr > 0).ToList();
        if (ranked.Count == 0) return false;
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int index = 0;
        foreach (var type in ranked.GroupBy(s => s.ModuleType))
        {
            var color = palette.GetColor(index++);
            var points = type.OrderBy(s => s.Layer).ToArray();
            var line = plot.Add.ScatterLine(points.Select(s => (double)s.Layer).ToArray(), points.Select(s => Math.Log10(s.Snr)).ToArray());
            line.LegendText = type.Key;
            line.LineWidth = 1.5f;
            line.MarkerSize = 4;
            line.Color = color;
            var chosen = points.Where(s => s.Selected).ToArray();
            if (chosen.Length > 0)
                plot.Add.Markers(chosen.Select(s => (double)s.Layer).ToArray(), chosen.Select(s => Math.Log10(s.Snr)).ToArray(), MarkerShape.FilledCircle, 11, color);
        }
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            LabelFormatter = y => Math.Pow(10, y).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
        };
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Title($"SNR per layer of the base model; large markers: generated layers\n{Wrap(choice.Rule)}");
        plot.XLabel("decoder layer");
        plot.YLabel("SNR (log scale)");
        plot.ShowLegend(Alignment.UpperRight);
        Plots.Save(plot, pngPath);
        return true;
    }

    static string Wrap(string text) => text.Length <= 90 ? text : text[..90] + "…";
}

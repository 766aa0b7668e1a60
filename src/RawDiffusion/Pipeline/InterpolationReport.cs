using System.Globalization;
using System.Text;
using System.Text.Json;
using RawDiffusion.IO;
using RawDiffusion.Models;

namespace RawDiffusion.Pipeline;

/// <summary>Interpolation paths written out: one CSV and JSON per path, and for groups of pairs (similar, dissimilar) a
/// markdown summary of accuracy on each task at the endpoints and along the path.</summary>
public static class InterpolationReport
{
    /// <summary>A file name for a pair of task ids (':' is not welcome in every file system).</summary>
    public static string FileStem(InterpolationPath path) => $"{path.From}__{path.To}".Replace(':', '_');

    public static void SavePath(InterpolationPath path, string folder)
    {
        Directory.CreateDirectory(folder);
        string stem = Path.Combine(folder, FileStem(path));
        var csv = new StringBuilder("t,sample,accuracy_from,accuracy_to\n");
        foreach (var p in path.Points)
            for (int s = 0; s < p.OnFrom.Length; s++)
                csv.Append(CultureInfo.InvariantCulture, $"{p.T:R},{s},{p.OnFrom[s]:R},{p.OnTo[s]:R}\n");
        AtomicFile.Write(stem + ".csv", st => { using var w = new StreamWriter(st, leaveOpen: true); w.Write(csv.ToString()); });
        AtomicFile.Write(stem + ".json", st => JsonSerializer.Serialize(st, path, ModelConfig.JsonOptions));
    }

    /// <summary>The summary of groups of paths (e.g. "similar" and "dissimilar" pairs): per group the mean over pairs of
    /// the accuracy on each task at every t, then one row per pair.</summary>
    public static string ToMarkdown(string condition, IReadOnlyList<(string Group, IReadOnlyList<InterpolationPath> Paths)> groups, int samples, ulong seed)
    {
        static string P(double v) => (100 * v).ToString("F1", CultureInfo.InvariantCulture);
        static string Po(double? v) => v == null ? "–" : P(v.Value);
        var md = new StringBuilder();
        md.AppendLine($"# Interpolation in condition space (`{condition}`)").AppendLine();
        md.AppendLine($"Each path mixes the two tasks' conditions as (1 - t) a + t b; at every t, {samples} samples (the same noise, seed {seed}, at every point) " +
                      "are scored on both tasks' held-out rows, each in its own class order. Accuracy in %, mean over the samples (no selection). " +
                      "\"zoo\" is the mean test accuracy of the task's own zoo models. t = 0 and t = 1 are exactly direct generation for each task.").AppendLine();
        foreach (var (group, paths) in groups)
        {
            if (paths.Count == 0) continue;
            var ts = paths[0].Points.Select(p => p.T).ToArray();
            md.AppendLine($"## {group} pairs ({paths.Count})").AppendLine();
            md.AppendLine("Mean over pairs ± sd over pairs:").AppendLine();
            md.AppendLine("| t | " + string.Join(" | ", ts.Select(t => t.ToString("0.##", CultureInfo.InvariantCulture))) + " |");
            md.AppendLine("|---|" + string.Concat(ts.Select(_ => "---:|")));
            string Row(Func<InterpolationPoint, double> f) => string.Join(" | ", ts.Select((_, i) =>
            {
                var v = paths.Select(p => f(p.Points[i])).ToArray();
                return $"{P(v.Average())} ± {P(Statistics.Std(v))}";
            }));
            md.AppendLine($"| on A (from) | {Row(p => p.MeanFrom)} |");
            md.AppendLine($"| on B (to) | {Row(p => p.MeanTo)} |");
            md.AppendLine();
            md.AppendLine("| A (from) | B (to) | shared classes | same position | zoo A | zoo B | A at t=0 | A at 0.5 | A at 1 | B at 0 | B at 0.5 | B at 1 |");
            md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var p in paths)
            {
                var mid = p.Points.MinBy(x => Math.Abs(x.T - 0.5))!;
                md.AppendLine($"| `{p.From}` | `{p.To}` | {p.SharedClasses} | {p.SharedPositions} | {Po(p.ZooFrom)} | {Po(p.ZooTo)} | " +
                              $"{P(p.Points[0].MeanFrom)} | {P(mid.MeanFrom)} | {P(p.Points[^1].MeanFrom)} | {P(p.Points[0].MeanTo)} | {P(mid.MeanTo)} | {P(p.Points[^1].MeanTo)} |");
            }
            md.AppendLine();
        }
        return md.ToString();
    }

    public static void SaveSummary(string folder, string condition, IReadOnlyList<(string Group, IReadOnlyList<InterpolationPath> Paths)> groups, int samples, ulong seed)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.Write(Path.Combine(folder, "summary.md"), s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(ToMarkdown(condition, groups, samples, seed)); });
        AtomicFile.Write(Path.Combine(folder, "summary.json"), s => JsonSerializer.Serialize(s,
            new { Condition = condition, Samples = samples, Seed = seed, Groups = groups.Select(g => new { g.Group, g.Paths }).ToArray() }, ModelConfig.JsonOptions));
    }
}

using System.CommandLine;
using RawDiffusion.Pipeline;
using RawDiffusion.Zoo;
using Spectre.Console;

namespace RawDiffusion.Trainer;

/// <summary>`interpolate`: walks the run's condition space from one task's condition to another's (linearly, whatever
/// the condition kinds) and scores each point's generated weights on both tasks; or, with --pairs N, does so for N
/// pairs of seen tasks sharing all classes but one and N sharing at most one, with a summary.</summary>
internal static class InterpolateCommand
{
    public static Command Create()
    {
        var output = Cli.OutOption();
        var data = Cli.DataOption();
        var from = new Option<string?>("--from") { Description = "Task id at t = 0 (\"domain:c0-c1-...\")" };
        var to = new Option<string?>("--to") { Description = "Task id at t = 1" };
        var pairs = new Option<int?>("--pairs") { Description = "Instead of --from/--to: this many similar pairs of seen tasks (all classes but one shared) and as many dissimilar ones (at most one shared)" }
            .Check(v => v is < 1 ? "--pairs must be at least 1" : null);
        var steps = new Option<int>("--steps") { Description = "Intervals along the path (points at t = 0, 1/N, ..., 1)", DefaultValueFactory = _ => 10 }
            .Check(v => v is < 1 or > 1000 ? "--steps must be between 1 and 1000" : null);
        var samples = new Option<int?>("--samples") { Description = "Samples per point (default: sampling.samples of the run's config)" }
            .Check(v => v is < 1 or > 10_000 ? "--samples must be between 1 and 10,000" : null);
        var seed = new Option<ulong>("--seed") { Description = "Seed of the support sets (dataset conditions) and of the noise shared by every point", DefaultValueFactory = _ => 1UL };
        var destination = new Option<string?>("--dest") { Description = "Folder for the CSV, JSON and PNG files (default: interpolation/ in the run folder)" };
        var command = new Command("interpolate", "Generate weights along a line between two tasks' conditions and score them on both (after `train diffusion`)")
            { output, data, from, to, pairs, steps, samples, seed, destination };
        command.Validators.Add(r =>
        {
            bool f = Cli.ValueOrDefault(r, from) != null, t = Cli.ValueOrDefault(r, to) != null, p = Cli.ValueOrDefault(r, pairs) != null;
            if (f != t) r.AddError("--from and --to go together");
            if (f == p) r.AddError("give either --from and --to, or --pairs");
        });
        command.SetAction(p => Cli.Guard(cancel =>
        {
            var run = new RunFolder(p.GetValue(output)!);
            var config = Cli.RunConfig(run);
            string dest = p.GetValue(destination) ?? Path.Combine(run.Root, "interpolation");
            int n = p.GetValue(samples) ?? config.Sampling.Samples, intervals = p.GetValue(steps);
            ulong s = p.GetValue(seed);
            using var runData = RunData.Prepare(config, run, p.GetValue(data), Cli.Log);
            using var generator = new WeightGenerator(config, run);
            var zoo = ZooManifest.Load(run.Zoo);
            InterpolationPath Path1(RawDiffusion.Tasks.TaskSpec a, RawDiffusion.Tasks.TaskSpec b)
            {
                var path = Interpolation.Run(generator, runData, a, b, intervals, n, s, zoo, cancel);
                InterpolationReport.SavePath(path, dest);
                Plots.InterpolationPath(Path.Combine(dest, InterpolationReport.FileStem(path) + ".png"), path, config.Condition.Describe());
                return path;
            }
            if (p.GetValue(pairs) is { } count)
            {
                var seen = zoo.TaskSpecs();
                var groups = new List<(string, IReadOnlyList<InterpolationPath>)>();
                foreach (var (group, list) in new[] { ("similar", Interpolation.SimilarPairs(seen, count, s)), ("dissimilar", Interpolation.DissimilarPairs(seen, count, s + 1)) })
                {
                    var paths = new List<InterpolationPath>();
                    foreach (var (a, b) in list)
                    {
                        paths.Add(Path1(a, b));
                        Cli.Log($"{group} pair {paths.Count}/{list.Count}: {a.Id} -> {b.Id}: on A {100 * paths[^1].Points[0].MeanFrom:F1} -> {100 * paths[^1].Points[^1].MeanFrom:F1} %, on B {100 * paths[^1].Points[0].MeanTo:F1} -> {100 * paths[^1].Points[^1].MeanTo:F1} %");
                    }
                    groups.Add((group, paths));
                }
                InterpolationReport.SaveSummary(dest, config.Condition.Describe(), groups, n, s);
                Plots.InterpolationSummary(Path.Combine(dest, "summary.png"), groups, config.Condition.Describe());
                Cli.Log($"wrote {Path.Combine(dest, "summary.md")}, summary.json, summary.png and one CSV, JSON and PNG per pair");
                return 0;
            }
            var single = Path1(TaskInput.Parse(p.GetValue(from)!), TaskInput.Parse(p.GetValue(to)!));
            var table = new Table().Title($"{single.From} -> {single.To} ({config.Condition.Describe()}): test accuracy (%), mean ± sd of {n} samples").AddColumns("t", "on A (from)", "on B (to)");
            foreach (var point in single.Points)
                table.AddRow($"{point.T:0.##}", $"{100 * point.MeanFrom:F1} ± {100 * point.SdFrom:F1}", $"{100 * point.MeanTo:F1} ± {100 * point.SdTo:F1}");
            AnsiConsole.Write(table);
            Cli.Log($"wrote {InterpolationReport.FileStem(single)}.csv, .json and .png to {dest}");
            return 0;
        }));
        return command;
    }
}

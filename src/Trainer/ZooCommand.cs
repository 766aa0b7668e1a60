using System.CommandLine;
using RawDiffusion.Pipeline;
using RawDiffusion.Zoo;

namespace RawDiffusion.Trainer;

/// <summary>`zoo build` (optionally one shard of it), `zoo merge` and `zoo import`.</summary>
internal static class ZooCommand
{
    public static Command Create()
    {
        var zoo = new Command("zoo", "Build, merge or import a model zoo");
        zoo.Subcommands.Add(Build());
        zoo.Subcommands.Add(Merge());
        zoo.Subcommands.Add(Import());
        return zoo;
    }

    /// <summary>One line per finished job.</summary>
    public static IProgress<ZooBuildProgress> Progress() => new SynchronousProgress<ZooBuildProgress>(p =>
    {
        if (p.Skipped && (p.Job % 100 == 0 || p.Job == p.Jobs)) Cli.Log($"zoo job {p.Job}/{p.Jobs}: checkpoints of the finished jobs so far already there, kept");
        else if (p.Epoch != null && p.Epoch.Epoch == p.Epochs && (p.Job % 25 == 0 || p.Job == p.Jobs))
            Cli.Log($"zoo job {p.Job}/{p.Jobs} {p.TaskId} seed {p.Seed}: test accuracy {p.Epoch.TestAccuracy:P1}");
    });

    static Command Build()
    {
        var config = Cli.ConfigOption();
        var output = Cli.OutOption();
        var data = Cli.DataOption();
        var shard = new Option<string>("--shard") { Description = "Build only shard i of n (\"i/n\", 1-based) for a batch scheduler; merge the shards with `zoo merge`", DefaultValueFactory = _ => "1/1" }
            .Check(text =>
            {
                try { ShardSpec.Parse(text); return null; }
                catch (FormatException e) { return $"--shard: {e.Message}"; }
            });
        var command = new Command("build", "Train the backbone and the zoo's classifiers on the config's seen tasks (restartable: finished checkpoints are kept)")
            { config, output, data, shard };
        command.SetAction(p => Cli.Guard(cancel =>
        {
            var cfg = Cli.LoadConfig(p.GetValue(config));
            var run = new RunFolder(p.GetValue(output)!);
            return Cli.AsWriter(run, "zoo build", () =>
            {
                PipelineRun.PrepareFolder(cfg, run, resume: true);
                using var runData = RunData.Prepare(cfg, run, p.GetValue(data), Cli.Log);
                var spec = ShardSpec.Parse(p.GetValue(shard)!);
                int checkpoints = ZooStage.Build(cfg, run, runData, spec, Progress(), cancel).Sum(m => m.Checkpoints.Count);
                Cli.Log(spec.Count == 1
                    ? $"zoo of {checkpoints} checkpoints written to {run.Zoo}"
                    : $"shard {spec.Index}/{spec.Count}: {checkpoints} checkpoints; run `zoo merge --out {p.GetValue(output)}` once every shard is done");
                return 0;
            });
        }));
        return command;
    }

    static Command Merge()
    {
        var output = Cli.OutOption();
        var command = new Command("merge", "Combine the shard manifests of a sharded `zoo build` into zoo.json") { output };
        command.SetAction(p => Cli.Guard(_ =>
        {
            var run = new RunFolder(p.GetValue(output)!);
            run.Require(run.Config, "zoo build");
            return Cli.AsWriter(run, "zoo merge", () =>
            {
                var manifests = ZooStage.Merge(PipelineConfig.Load(run.Config), run);
                Cli.Log($"merged {manifests.Sum(m => m.Checkpoints.Count)} checkpoints of {manifests[0].Tasks.Count} tasks into {string.Join(", ", manifests.Select(m => m.Architecture.Name))} under {run.Zoo}");
                return 0;
            });
        }));
        return command;
    }

    static Command Import()
    {
        var source = new Option<string>("--source") { Description = "Folder of safetensors state dicts (e.g. written by PyTorch)", Required = true };
        var csv = new Option<string>("--csv") { Description = "CSV mapping files to tasks: columns file, task (e.g. fashion-mnist:3-7-1-0-9), optional seed, epoch, train_accuracy, test_accuracy", Required = true };
        var architecture = new Option<string>("--architecture") { Description = "Built-in architecture name or JSON file the state dicts follow", Required = true };
        var destination = new Option<string>("--dest") { Description = "New zoo folder to write", Required = true };
        var command = new Command("import", "Import a zoo of state dicts written elsewhere, checking every tensor against the architecture") { source, csv, architecture, destination };
        command.SetAction(p => Cli.Guard(_ =>
        {
            var manifest = ZooImporter.Import(p.GetValue(source)!, p.GetValue(csv)!, TargetArchitecture.Resolve(p.GetValue(architecture)!), p.GetValue(destination)!);
            Cli.Log($"imported {manifest.Checkpoints.Count} checkpoints of {manifest.Tasks.Count} tasks into {p.GetValue(destination)}");
            return 0;
        }));
        return command;
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
    sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

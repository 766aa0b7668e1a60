using RawDiffusion.Tasks;
using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>Stage 1: draws the tasks (tasks.json) and builds the zoo of the config's architecture on them (zoo/), or one
/// shard of it. A mixed-architecture zoo (zoo.architectures) is one zoo per architecture, each on every seen task, in
/// zoo/&lt;architecture name&gt;/.</summary>
public static class ZooStage
{
    /// <summary>The zoo's architecture (a zoo of one architecture): the configured one with the backbone's feature length
    /// as inputs (for heads; pixel architectures keep theirs) and the task's class count as outputs.</summary>
    public static TargetArchitecture Architecture(PipelineConfig config) => !IsMixed(config) ? Architectures(config)[0]
        : throw new InvalidOperationException($"zoo.architectures: the run's zoo holds {config.ArchitectureNames.Length} architectures ({string.Join(", ", config.ArchitectureNames)}), not one");

    /// <summary>Every architecture of the zoo, in config order, prepared as <see cref="Architecture"/> describes.</summary>
    public static IReadOnlyList<TargetArchitecture> Architectures(PipelineConfig config) => config.ArchitectureNames.Select(name =>
    {
        var a = TargetArchitecture.Resolve(name).WithClasses(config.Tasks.ClassesPerTask);
        return a.Kind == TargetArchitecture.MlpKind && !RunData.TakesPixels(a) ? a with { Inputs = config.Backbone.Hidden[^1] } : a;
    }).ToArray();

    /// <summary>Whether the config asks for a zoo of several architectures (zoo.architectures).</summary>
    public static bool IsMixed(PipelineConfig config) => config.Zoo.Architectures != null;

    /// <summary>The zoo folder of one architecture: zoo/ for a single architecture, zoo/&lt;name&gt;/ in a mixed zoo.</summary>
    public static string Folder(PipelineConfig config, RunFolder run, TargetArchitecture architecture) =>
        IsMixed(config) ? Path.Combine(run.Zoo, architecture.Name) : run.Zoo;

    /// <summary>The index of the architecture a command asked for by name (--architecture), or of the only one when it
    /// names none; an error listing the run's architectures for an unknown name, or for no name in a mixed zoo.</summary>
    public static int SelectArchitecture(IReadOnlyList<TargetArchitecture> architectures, string? name)
    {
        string known = string.Join(", ", architectures.Select(a => $"\"{a.Name}\""));
        if (name == null)
            return architectures.Count == 1 ? 0 : throw new ArgumentException($"the run's zoo holds several architectures ({known}); choose one with --architecture NAME");
        for (int i = 0; i < architectures.Count; i++)
            if (architectures[i].Name == name) return i;
        throw new ArgumentException($"--architecture \"{name}\": the run's zoo has no architecture of that name (it has {known})");
    }

    /// <summary>The architectures of a run's zoo as its manifests record them, in config order.</summary>
    public static IReadOnlyList<TargetArchitecture> ZooArchitectures(PipelineConfig config, RunFolder run) => Architectures(config).Select(a =>
    {
        string folder = Folder(config, run, a);
        run.Require(Path.Combine(folder, ZooManifest.FileName), "zoo build");
        return ZooManifest.Load(folder).Architecture;
    }).ToArray();

    /// <summary>Checks that the names of a mixed zoo's architectures differ and can name its sub-folders.</summary>
    public static void CheckNames(IReadOnlyList<TargetArchitecture> architectures)
    {
        foreach (var a in architectures)
            if (a.Name is "." or ".." || !a.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                throw new ArgumentException($"zoo.architectures: architecture name \"{a.Name}\" names the zoo's sub-folder and may hold only letters, digits, '-', '_' and '.'");
        if (architectures.GroupBy(a => a.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"zoo.architectures: two architectures are named \"{twice.Key}\"; each needs its own name (its sub-folder of zoo/)");
    }

    /// <summary>The task lists of the run: drawn and saved on first use, then read back (and checked against the config).</summary>
    public static TaskSplits Tasks(PipelineConfig config, RunFolder run)
    {
        var drawn = TaskSplits.Draw(config.Tasks);
        if (!File.Exists(run.Tasks))
        {
            Directory.CreateDirectory(run.Root);
            drawn.Save(run.Tasks);
            return drawn;
        }
        var stored = TaskSplits.Load(run.Tasks);
        if (!stored.Seen.SequenceEqual(drawn.Seen) || !stored.Unseen.SequenceEqual(drawn.Unseen) || !stored.CrossDomain.SequenceEqual(drawn.CrossDomain))
            throw new FormatException($"{run.Tasks}: the run's tasks differ from those the config's \"tasks\" section draws; use a new run folder for a changed config");
        return stored;
    }

    /// <summary>Trains the zoo of every architecture (or the shard's part of each) on the seen tasks' rows as the
    /// architecture takes them; one manifest per architecture.</summary>
    public static IReadOnlyList<ZooManifest> Build(PipelineConfig config, RunFolder run, RunData data, ShardSpec shard,
                                                   IProgress<ZooBuildProgress>? progress = null, CancellationToken cancel = default)
    {
        var architectures = Architectures(config);
        if (IsMixed(config)) CheckNames(architectures);
        return architectures.Select(a => Build(config, run, data, a, shard, progress, cancel)).ToArray();
    }

    /// <summary>Combines the shard manifests of every architecture's zoo into its zoo.json.</summary>
    public static IReadOnlyList<ZooManifest> Merge(PipelineConfig config, RunFolder run) =>
        Architectures(config).Select(a => ZooBuilder.Merge(Folder(config, run, a))).ToArray();

    static ZooManifest Build(PipelineConfig config, RunFolder run, RunData data, TargetArchitecture architecture, ShardSpec shard,
                             IProgress<ZooBuildProgress>? progress, CancellationToken cancel)
    {
        var tasks = Tasks(config, run);
        string folder = Folder(config, run, architecture);
        // Heads train on the backbone's features; image networks and pixel-wide MLPs on the same rows as raw pixels.
        bool pixels = RunData.TakesPixels(architecture);
        FeatureSet train = pixels ? data.TrainPixels : data.Train, test = pixels ? data.TestPixels : data.Test;
        if (pixels && architecture.Inputs != train.FeatureLength)
            throw new ArgumentException($"zoo.architecture \"{architecture.Name}\" takes {architecture.Inputs} pixels per image, {config.Tasks.Domain} images have {train.FeatureLength}");
        var options = new ZooBuildOptions
        {
            Architecture = architecture,
            Tasks = tasks.Seen,
            Seeds = ZooBuildOptions.FirstSeeds(config.Zoo.Seeds),
            Epochs = config.Zoo.Epochs,
            KeepLastEpochs = config.Zoo.KeepLastEpochs,
            BatchSize = config.Zoo.BatchSize,
            LearningRate = config.Zoo.LearningRate,
            WeightDecay = config.Zoo.WeightDecay,
            SharedInitialization = config.Zoo.SharedInitialization,
            Features = pixels ? ZooFeatures.Pixels(train.SampleShape[1], train.SampleShape[2])
                              : ZooFeatures.FromBackbone(train.FeatureLength, Path.GetRelativePath(folder, run.Backbone)),
            Data = new ZooData { Domain = config.Tasks.Domain, Train = train.Source, Test = test.Source },
        };
        return ZooBuilder.Build(options, train, test, folder, shard, progress, cancel);
    }
}

using RawDiffusion.Tasks;
using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>Stage 1: draws the tasks (tasks.json) and builds the zoo of the config's architecture on them (zoo/), or one
/// shard of it.</summary>
public static class ZooStage
{
    /// <summary>The zoo's architecture: the configured one with the backbone's feature length as inputs (for heads;
    /// pixel architectures keep theirs) and the task's class count as outputs.</summary>
    public static TargetArchitecture Architecture(PipelineConfig config)
    {
        var a = TargetArchitecture.Resolve(config.Zoo.Architecture).WithClasses(config.Tasks.ClassesPerTask);
        return a.Kind == TargetArchitecture.MlpKind && !RunData.TakesPixels(a) ? a with { Inputs = config.Backbone.Hidden[^1] } : a;
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

    /// <summary>Trains the zoo (or the shard's part of it) on the seen tasks' rows as the architecture takes them.</summary>
    public static ZooManifest Build(PipelineConfig config, RunFolder run, RunData data, ShardSpec shard,
                                    IProgress<ZooBuildProgress>? progress = null, CancellationToken cancel = default)
    {
        var tasks = Tasks(config, run);
        var architecture = Architecture(config);
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
            Features = pixels ? ZooFeatures.Pixels(train.SampleShape[1], train.SampleShape[2])
                              : ZooFeatures.FromBackbone(train.FeatureLength, Path.GetRelativePath(run.Zoo, run.Backbone)),
            Data = new ZooData { Domain = config.Tasks.Domain, Train = train.Source, Test = test.Source },
        };
        return ZooBuilder.Build(options, train, test, run.Zoo, shard, progress, cancel);
    }
}

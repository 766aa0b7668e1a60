using RawDiffusion.Data;
using RawDiffusion.Tasks;
using RawDiffusion.Training;

namespace RawDiffusion.Pipeline;

/// <summary>
/// The features every stage works on: the backbone (trained once on images of the zoo's domain that no task uses,
/// then frozen and saved in the run folder) applied to the rest of that domain's train split, its test split, and
/// both splits of the cross domain.
/// </summary>
public sealed class RunData : IDisposable
{
    RunData(FeatureBackbone backbone, FeatureSet train, FeatureSet test, FeatureSet? crossTrain, FeatureSet? crossTest, string domain, string crossDomain)
    {
        Backbone = backbone;
        Train = train;
        Test = test;
        CrossTrain = crossTrain;
        CrossTest = crossTest;
        this.domain = domain;
        this.crossDomain = crossDomain;
    }

    readonly string domain, crossDomain;

    public FeatureBackbone Backbone { get; }
    /// <summary>Features of the zoo domain's train images the backbone did not train on: zoo training rows and support sets.</summary>
    public FeatureSet Train { get; }
    public FeatureSet Test { get; }
    public FeatureSet? CrossTrain { get; }
    public FeatureSet? CrossTest { get; }

    /// <summary>Training rows (support sets are drawn from them) and held-out rows of a task, relabelled in its class order.</summary>
    public (FeatureSet Train, FeatureSet Test) For(TaskSpec task)
    {
        if (task.Domain == domain) return (Train.ForTask(task), Test.ForTask(task));
        if (task.Domain == crossDomain && CrossTrain != null) return (CrossTrain.ForTask(task), CrossTest!.ForTask(task));
        throw new ArgumentException($"task {task.Id}: domain \"{task.Domain}\" is neither the zoo's ({domain}) nor the cross domain ({crossDomain})");
    }

    /// <summary>Loads the run's backbone, or trains and saves it when the run has none yet.</summary>
    public static RunData Prepare(PipelineConfig config, RunFolder run, string? dataRoot, Action<string>? log = null)
    {
        var trainImages = Domains.Images(config.Tasks.Domain, Split.Train, dataRoot);
        var testImages = Domains.Images(config.Tasks.Domain, Split.Test, dataRoot);
        if (config.Backbone.Images >= trainImages.Count)
            throw new ArgumentException($"backbone.images {config.Backbone.Images} leaves no images of the {trainImages.Count} in {trainImages.Source} for the tasks");
        var order = new Generator((ulong)config.Backbone.Seed).Permutation(trainImages.Count);
        var taskImages = trainImages.Select(order[config.Backbone.Images..]);
        FeatureBackbone backbone;
        if (File.Exists(run.Backbone))
        {
            backbone = FeatureBackbone.Load(run.Backbone);
            if (!backbone.Widths.SequenceEqual(config.Backbone.Hidden) || backbone.Inputs != trainImages.FeatureLength)
                throw new FormatException($"{run.Backbone}: backbone widths [{string.Join(", ", backbone.Widths)}] do not match backbone.hidden [{string.Join(", ", config.Backbone.Hidden)}] of the config");
        }
        else
        {
            log?.Invoke($"training the feature backbone on {config.Backbone.Images} {config.Tasks.Domain} images no task uses");
            backbone = FeatureBackbone.Train(trainImages.Select(order[..config.Backbone.Images]), config.Backbone.Hidden,
                new ClassifierTrainingOptions { Epochs = config.Backbone.Epochs, LearningRate = config.Backbone.LearningRate, Seed = (ulong)config.Backbone.Seed });
            Directory.CreateDirectory(run.Root);
            backbone.Save(run.Backbone);
        }
        FeatureSet? crossTrain = null, crossTest = null;
        if (config.Tasks.CrossDomainTasks > 0)
        {
            crossTrain = backbone.Extract(Domains.Images(config.Tasks.CrossDomain, Split.Train, dataRoot));
            crossTest = backbone.Extract(Domains.Images(config.Tasks.CrossDomain, Split.Test, dataRoot));
        }
        return new RunData(backbone, backbone.Extract(taskImages), backbone.Extract(testImages), crossTrain, crossTest, config.Tasks.Domain, config.Tasks.CrossDomain);
    }

    public void Dispose() => Backbone.Dispose();
}

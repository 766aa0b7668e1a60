using RawDiffusion.Data;
using RawDiffusion.Tasks;
using RawDiffusion.Training;
using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>
/// The rows every stage works on: the backbone (trained once on images of the zoo's domain that no task uses, then
/// frozen and saved in the run folder) applied to the rest of that domain's train split, its test split, and both
/// splits of the cross domain; beside each, the same rows as raw pixels. Support sets and the dataset encoder always
/// see backbone features (D2NWG's frozen-encoder condition); the zoo's networks see whichever their architecture takes.
/// </summary>
public sealed class RunData : IDisposable
{
    RunData(FeatureBackbone backbone, Rows train, Rows test, Rows? crossTrain, Rows? crossTest, string domain, string crossDomain)
    {
        Backbone = backbone;
        (Train, TrainPixels) = train;
        (Test, TestPixels) = test;
        (CrossTrain, CrossTrainPixels) = crossTrain ?? default;
        (CrossTest, CrossTestPixels) = crossTest ?? default;
        this.domain = domain;
        this.crossDomain = crossDomain;
    }

    /// <summary>One split as backbone features and as the pixels they came from, row for row.</summary>
    readonly record struct Rows(FeatureSet Features, FeatureSet Pixels);

    readonly string domain, crossDomain;

    public FeatureBackbone Backbone { get; }
    /// <summary>Features of the zoo domain's train images the backbone did not train on: zoo training rows and support sets.</summary>
    public FeatureSet Train { get; }
    public FeatureSet Test { get; }
    public FeatureSet? CrossTrain { get; }
    public FeatureSet? CrossTest { get; }
    /// <summary>The images of <see cref="Train"/> as pixels ([1, H, W]), in the same order.</summary>
    public FeatureSet TrainPixels { get; }
    public FeatureSet TestPixels { get; }
    public FeatureSet? CrossTrainPixels { get; }
    public FeatureSet? CrossTestPixels { get; }

    /// <summary>A task's training rows (support sets are drawn from them) and held-out rows as backbone features,
    /// relabelled in its class order.</summary>
    public (FeatureSet Train, FeatureSet Test) For(TaskSpec task)
    {
        var (train, test) = Splits(task);
        return (train.Features.ForTask(task), test.Features.ForTask(task));
    }

    /// <summary>A task's training and held-out rows as the architecture takes them: backbone features for heads, pixels
    /// for image networks and pixel-wide MLPs (the same rows, in the same order, as <see cref="For"/>).</summary>
    public (FeatureSet Train, FeatureSet Test) InputsFor(TaskSpec task, TargetArchitecture architecture)
    {
        if (!TakesPixels(architecture)) return For(task);
        if (architecture.Inputs != TrainPixels.FeatureLength)
            throw new ArgumentException($"architecture \"{architecture.Name}\" takes {architecture.Inputs} pixels per image, the run's images have {TrainPixels.FeatureLength} ([{string.Join(", ", TrainPixels.SampleShape)}])");
        var (train, test) = Splits(task);
        return (train.Pixels.ForTask(task), test.Pixels.ForTask(task));
    }

    /// <summary>Whether the architecture takes raw pixels (image networks, MLPs as wide as an image) rather than backbone features.</summary>
    public static bool TakesPixels(TargetArchitecture architecture) => ZooFeatures.Default(architecture).Kind == ZooFeatures.PixelsKind;

    (Rows Train, Rows Test) Splits(TaskSpec task)
    {
        if (task.Domain == domain) return (new(Train, TrainPixels), new(Test, TestPixels));
        if (task.Domain == crossDomain && CrossTrain != null) return (new(CrossTrain, CrossTrainPixels!), new(CrossTest!, CrossTestPixels!));
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
        Rows Both(FeatureSet pixels) => new(backbone.Extract(pixels), pixels);
        Rows? crossTrain = null, crossTest = null;
        if (config.Tasks.CrossDomainTasks > 0)
        {
            crossTrain = Both(Domains.Images(config.Tasks.CrossDomain, Split.Train, dataRoot));
            crossTest = Both(Domains.Images(config.Tasks.CrossDomain, Split.Test, dataRoot));
        }
        return new RunData(backbone, Both(taskImages), Both(testImages), crossTrain, crossTest, config.Tasks.Domain, config.Tasks.CrossDomain);
    }

    public void Dispose() => Backbone.Dispose();
}

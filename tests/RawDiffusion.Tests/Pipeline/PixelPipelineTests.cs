using RawDiffusion.Data;
using RawDiffusion.Pipeline;
using RawDiffusion.Tasks;
using RawDiffusion.Training;
using RawDiffusion.Zoo;

namespace RawDiffusion.Tests.Pipeline;

/// <summary>The whole pipeline with a zoo that takes raw pixels (a 784-8-3 MLP) while the condition comes from backbone features.</summary>
public class PixelPipelineTests
{
    static TinyRun Run => TinyRun.Pixels;

    /// <summary>A task's rows as pixels, straight from the dataset: the reference the run's rows are checked against.</summary>
    static FeatureSet PixelRows(TaskSpec task, Split split) => Domains.Images(task.Domain, split, null).ForTask(task);

    [Fact]
    public void ZooCheckpointsTakePixels()
    {
        var manifest = ZooManifest.Load(Run.Folder.Zoo);
        Assert.Equal(ZooFeatures.PixelsKind, manifest.Features.Kind);
        Assert.Equal([1, 28, 28], manifest.Features.SampleShape);
        Assert.Equal(TinyPipeline.PixelArchitecture.ParameterCount, manifest.Architecture.ParameterCount);
        Assert.Equal(784, manifest.Architecture.Inputs);
        Assert.Equal(12, manifest.Checkpoints.Count);
        var tasks = manifest.TaskSpecs().ToDictionary(t => t.Id);
        foreach (var entry in manifest.Checkpoints)
        {
            var (tensors, _) = ZooCheckpoint.Read(ZooManifest.PathOf(Run.Folder.Zoo, entry), manifest.Architecture);
            using var model = manifest.Architecture.Load(tensors);
            Assert.Equal(entry.TestAccuracy, ClassifierTraining.Accuracy(model, PixelRows(tasks[entry.Task], Split.Test)));
        }
    }

    [Fact]
    public void InputRowsArePixelsOfTheFeatureRows()
    {
        using var data = RunData.Prepare(Run.Config, Run.Folder, null);
        var architecture = ZooManifest.Load(Run.Folder.Zoo).Architecture;
        var splits = TaskSplits.Load(Run.Folder.Tasks);
        foreach (var task in new[] { splits.Seen[0], splits.CrossDomain[0] })
        {
            var (features, featureTest) = data.For(task);
            var (pixels, pixelTest) = data.InputsFor(task, architecture);
            Assert.Equal([1, 28, 28], pixels.SampleShape);
            Assert.Equal(PixelRows(task, Split.Test).Features, pixelTest.Features);
            Assert.Equal(featureTest.Labels, pixelTest.Labels);
            // Row for row, the backbone turns the pixel rows into the feature rows support sets are drawn from.
            Assert.Equal(features.Labels, pixels.Labels);
            Assert.Equal(features.Features, data.Backbone.Extract(pixels).Features);
        }
    }

    [Fact]
    public void ReportScoresGeneratedPixelNetworks()
    {
        Assert.True(File.Exists(Run.Folder.ReportMarkdown));
        Assert.True(File.Exists(Run.Folder.ReportJson));
        Assert.Equal("tiny-pixel-mlp", Run.Report.Architecture);
        Assert.Equal([DemoReport.SeenGroup, DemoReport.UnseenGroup, DemoReport.CrossGroup], Run.Report.Groups().Select(g => g.Group));
        foreach (var t in Run.Report.Tasks)
        {
            Assert.All(t.Generated.SelectMany(s => s), a => Assert.InRange(a, 0, 1));
            Assert.All(t.Random.Concat(t.Nearest).Concat(t.Prototype).Concat(t.Probe), a => Assert.InRange(a, 0, 1));
            // A pixel network is not a linear head over the features: no support refinement, no prototype start.
            Assert.Null(t.Refined);
            Assert.False(t.FineTune.ContainsKey(DemoReport.PrototypeStart));
            Assert.All(t.FineTune[DemoReport.GeneratedStart], a => Assert.InRange(a, 0, 1));
            Assert.Equal(t.Group == DemoReport.SeenGroup, t.Zoo != null);
        }
    }

    [Fact]
    public void GeneratedWeightsScoreOnPixelRows()
    {
        using var data = RunData.Prepare(Run.Config, Run.Folder, null);
        using var generator = new WeightGenerator(Run.Config, Run.Folder);
        var task = TaskSplits.Load(Run.Folder.Tasks).Unseen[0];
        var g = new Generator(5);
        var train = data.For(task).Train;
        var samples = generator.Generate(train.Select(train.SupportIndices(5, g)), 5, 2, g);
        var test = PixelRows(task, Split.Test);
        foreach (var weights in samples)
            Assert.InRange(Evaluation.Accuracy(generator.Architecture, weights, test), 0, 1);
    }

    [Fact]
    public void ShippedZooCnnConfigFitsItsArchitecture()
    {
        string path = Path.Combine(Path.GetDirectoryName(PipelineConfig.DefaultPath())!, "zoo-cnn.json");
        var config = PipelineConfig.Load(path);
        var architecture = ZooStage.Architecture(config);
        Assert.Equal(TargetArchitecture.ZooCnnKind, architecture.Kind);
        Assert.True(RunData.TakesPixels(architecture));
        Assert.Equal(architecture.ParameterCount, config.Model.Vae.VectorLength);
    }
}

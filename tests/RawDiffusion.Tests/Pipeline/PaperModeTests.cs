using RawDiffusion.IO;
using RawDiffusion.Models;
using RawDiffusion.Pipeline;
using RawDiffusion.Tests.IO;
using RawDiffusion.Training;

namespace RawDiffusion.Tests.Pipeline;

/// <summary>The pipeline run the paper's way (<see cref="TinyPipeline.PaperJson"/>): the accuracy predictor and its
/// sample selection, the Eq. 9 VAE, the dataset embedding as condition maps, ancestral DDPM sampling.</summary>
public sealed class PaperModeTests
{
    static TinyRun Run => TinyRun.Paper;

    [Fact]
    public void ThePredictorTrainsFirstAndRanksEverySample()
    {
        Assert.Equal([PredictorStage.Name, VaeStage.Name, EncoderStage.Name, DiffusionStage.Name], PipelineRun.Stages(Run.Config));
        Assert.True(File.Exists(Run.Folder.StageModel(PredictorStage.Name)));
        Assert.True(Run.Report.HasPredictor);
        Assert.Contains("pred1", Run.Report.Columns);
        foreach (var t in Run.Report.Tasks)
        {
            var all = t.Generated.SelectMany(s => s).ToArray();
            Assert.InRange(t.PredictorTop(1)!.Value, all.Min() - 1e-12, all.Max() + 1e-12);
            Assert.All(t.GeneratedPredicted!.SelectMany(s => s), p => Assert.InRange(p, 0, 1));
        }
        Assert.Contains("pred1", Run.Report.ToMarkdown());
    }

    [Fact]
    public void ThePredictorLearnsTheZoosTrainingRowAccuracies()
    {
        // Targets recomputed here from the zoo's checkpoints and their tasks' training rows, then compared with what
        // the trained predictor says: it must beat predicting their mean.
        using var context = new RunContext(Run.Config, Run.Folder);
        var zoo = context.Vectors;
        var architecture = zoo.Manifest.Architecture;
        var targets = zoo.Models.Select((m, i) => Evaluation.Accuracy(architecture, m, context.Data.InputsFor(zoo.Tasks[zoo.ModelTask[i]], architecture).Train)).ToArray();
        var space = PredictorSpace.Of(Run.Config, zoo);
        Assert.Same(zoo.Layout, space.Layout); // model-wise, per-parameter: the VAE's own space (Eq. 9 needs it)
        using var predictor = PredictorStage.Load(Run.Config, Run.Folder, space);
        var predicted = PredictorStage.Predict(predictor, space, zoo.Models);
        double mean = targets.Average();
        double error = targets.Zip(predicted).Average(p => (p.First - p.Second) * (p.First - p.Second));
        double spread = targets.Average(t => (t - mean) * (t - mean));
        Assert.True(error < Math.Max(spread, 1e-4) + 0.01, $"predictor MSE {error:G3} against the targets' variance {spread:G3}");
        var losses = File.ReadAllLines(Run.Folder.StageMetrics(PredictorStage.Name)).Where(l => !l.StartsWith('#')).Skip(1)
            .Select(l => double.Parse(l.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.True(losses[^20..].Average() < losses[..20].Average(), $"predictor loss {losses[..20].Average():G3} -> {losses[^20..].Average():G3}");
    }

    [Fact]
    public void TheEq9VaeCheckpointsItsLearnedVarianceButSavesOnlyTheVae()
    {
        using (var checkpoint = SafeTensorsFile.Open(Run.Folder.StageCheckpoint(VaeStage.Name)))
        {
            Assert.Contains(checkpoint.Tensors, t => t.Name == "model.loss.logvar");
            Assert.Contains(checkpoint.Tensors, t => t.Name.StartsWith("model.vae.", StringComparison.Ordinal));
            Assert.DoesNotContain(checkpoint.Tensors, t => t.Name.Contains("fc1", StringComparison.Ordinal)); // the frozen predictor is not the VAE's
        }
        using var model = SafeTensorsFile.Open(Run.Folder.StageModel(VaeStage.Name));
        Assert.DoesNotContain(model.Tensors, t => t.Name.StartsWith("loss.", StringComparison.Ordinal) || t.Name.StartsWith("vae.", StringComparison.Ordinal));
        using var vae = VaeStage.Load(Run.Config, Run.Folder);
        var header = File.ReadAllLines(Run.Folder.StageMetrics(VaeStage.Name)).First(l => !l.StartsWith('#'));
        Assert.Equal("step,loss,reconstruction,kl", header);
    }

    [Fact]
    public void TheDatasetEmbeddingEntersAsConditionMaps()
    {
        var unet = Run.Config.Model.UNet;
        var values = Enumerable.Range(0, 2 * 64).Select(i => (float)i).ToArray();
        var condition = UNetConditionInput.Of(unet, values, 2);
        Assert.Null(condition.Vector);
        Assert.Equal([2, 4, 4, 4], condition.Map!.Shape);
        Assert.Equal(values, condition.Map.ToArray<float>()); // row-major: the embedding fills channel by channel
        var both = UNetConditionInput.Of(unet with { ConditionVectorLength = 64 }, values, 2);
        Assert.Equal([2, 64], both.Vector!.Shape);
        Assert.Equal(values, both.Vector.ToArray<float>());
    }

    [Theory]
    [InlineData("\"conditionVectorLength\": 0,", "\"conditionVectorLength\": 32,", "model.unet.conditionVectorLength 32 must be 64")]
    [InlineData("\"conditionMapChannels\": 4,", "\"conditionMapChannels\": 2,", "model.unet.conditionMapChannels 2")]
    [InlineData("\"conditionMapChannels\": 4,", "\"conditionMapChannels\": 0,", "model.unet.conditionVectorLength 0 must be 64")]
    [InlineData("\"sampler\": \"ddpm\"", "\"sampler\": \"euler\"", "sampling.sampler must be \"ddim\" or \"ddpm\"")]
    [InlineData("\"predictor\": { \"hidden\": 16 },", "", "needs the accuracy predictor")]
    [InlineData("\"normalization\": \"per-parameter\"", "\"normalization\": \"per-layer\"", "vectors.normalization \\\"per-parameter\\\"")]
    public void PaperModeSettingsThatCannotWorkAreRefused(string from, string to, string message)
    {
        string json = TinyPipeline.PaperJson;
        Assert.Contains(from, json);
        var e = Assert.Throws<FormatException>(() => PipelineConfig.Parse(json.Replace(from, to), "paper.json"));
        Assert.StartsWith("paper.json", e.Message);
        Assert.Contains(message.Replace("\\\"", "\""), e.Message);
    }

    [Fact]
    public void APredictorAddedToAFinishedRunTrainsAloneAndRanksTheSameSamples()
    {
        using var folder = new TempFolder();
        var run = TinyRun.Shared.CopyTo(folder.Path);
        string[] trained = [VaeStage.Name, EncoderStage.Name, DiffusionStage.Name];
        var before = trained.ToDictionary(s => s, s => File.ReadAllBytes(run.StageModel(s)));
        var withPredictor = PipelineConfig.Parse(TinyPipeline.WithPredictor(TinyPipeline.Json), "tiny");
        PipelineRun.PrepareFolder(withPredictor, run, resume: true);
        var report = PipelineRun.RunAll(withPredictor, run, null, new StageOptions(Resume: true))!;
        foreach (var stage in trained) Assert.Equal(before[stage], File.ReadAllBytes(run.StageModel(stage)));
        Assert.True(report.HasPredictor);
        Assert.Equal(TinyRun.Shared.Report.Tasks.Select(t => t.Generated), report.Tasks.Select(t => t.Generated));

        // A VAE that learns from the predictor (Eq. 9) is a different trained run.
        var eq9 = PipelineConfig.Parse(TinyPipeline.WithPredictor(TinyPipeline.Json).Replace("\"reconstruction\": \"mse\"", "\"reconstruction\": \"predictor-guided\""), "tiny");
        Assert.Contains("another config", Assert.Throws<InvalidOperationException>(() => PipelineRun.PrepareFolder(eq9, run, resume: true)).Message);
    }

    [Fact]
    public void ClassRowRunsRankWholeHeadsInTheirOwnStandardisedSpace()
    {
        // Class rows are not networks: the predictor sees assembled heads, standardised per parameter over the zoo.
        var run = TinyRun.ClassRows;
        using var context = new RunContext(run.Config, run.Folder);
        var zoo = context.Vectors;
        var space = PredictorSpace.Of(run.Config, zoo);
        int p = (int)zoo.Manifest.Architecture.ParameterCount;
        Assert.Equal(p, space.Length);
        var x = space.Vectors(zoo.Models);
        for (int j = 0; j < p; j++)
        {
            var column = Enumerable.Range(0, zoo.Models.Count).Select(m => (double)x[m * p + j]).ToArray();
            double mean = column.Average(), variance = column.Average(v => (v - mean) * (v - mean));
            Assert.InRange(mean, -1e-4, 1e-4);
            Assert.InRange(variance, 1 - 1e-3, 1 + 1e-3);
        }
    }
}

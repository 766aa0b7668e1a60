using RawDiffusion.Pipeline;
using RawDiffusion.Tasks;
using RawDiffusion.Zoo;

namespace RawDiffusion.Tests.Pipeline;

/// <summary>The whole pipeline with vectors.layout "class-rows" on the tiny config.</summary>
public sealed class ClassRowsPipelineTests
{
    static TinyRun Run => TinyRun.ClassRows;

    [Fact]
    public void ZooVectorsAreTheCentredRowsOfEveryHead()
    {
        var vectors = ZooVectors.Load(Run.Config, Run.Folder);
        var architecture = vectors.Manifest.Architecture;
        Assert.Equal(3, vectors.RowsPerModel);
        Assert.Equal(vectors.Models.Count * 3, vectors.Count);
        Assert.Equal(17, vectors.Length);
        for (int m = 0; m < vectors.Models.Count; m++)
        {
            var rows = ClassRows.Split(architecture, vectors.Models[m]);
            for (int c = 0; c < 3; c++)
            {
                int v = m * 3 + c;
                Assert.Equal(c, vectors.ClassOf(v));
                Assert.Equal(vectors.ModelTask[m], vectors.TaskOf[v]);
                Assert.Equal(vectors.Layout.Flatten(rows[c]), vectors.Raw.AsSpan(v * 17, 17).ToArray());
            }
        }
    }

    [Fact]
    public void NoEncoderStageAndTheReportHasItsBaselines()
    {
        Assert.Equal([VaeStage.Name, DiffusionStage.Name], PipelineRun.Stages(Run.Config));
        Assert.False(File.Exists(Run.Folder.StageModel(EncoderStage.Name)));
        Assert.Equal(ClassRows.Layout, Run.Report.Layout);
        foreach (var t in Run.Report.Tasks)
        {
            Assert.All(t.Generated.SelectMany(s => s), a => Assert.InRange(a, 0, 1));
            Assert.NotNull(t.Refined);
            Assert.Contains(DemoReport.PrototypeStart, t.FineTune.Keys);
        }
        Assert.Contains("class-rows", File.ReadAllText(Run.Folder.ReportMarkdown));
    }

    [Fact]
    public void GeneratedHeadsHaveTheArchitecturesTensorsAndFollowTheirSupport()
    {
        using var data = RunData.Prepare(Run.Config, Run.Folder, null);
        using var generator = new WeightGenerator(Run.Config, Run.Folder);
        var task = TaskSplits.Load(Run.Folder.Tasks).Unseen[0];
        var train = data.For(task).Train;
        var g = new Generator(3);
        var support = train.Select(train.SupportIndices(5, g));
        var samples = generator.Generate(support, 5, 4, g);
        Assert.Equal(4, samples.Count);
        foreach (var w in samples)
        {
            Assert.Equal(generator.Architecture.Tensors.Select(t => t.Name), w.Keys);
            Assert.All(w.Values.SelectMany(v => v), x => Assert.True(float.IsFinite(x)));
        }
        // A support set that is not K rows per class, class by class, is refused naming the requirement.
        var shuffled = train.Select(train.SupportIndices(5, g).Reverse().ToArray());
        Assert.Contains("class by class", Assert.Throws<ArgumentException>(() => generator.Generate(shuffled, 5, 1, g)).Message);
    }

    /// <summary>With sampling.rowNoise "shared", the rows of one head start from one x_T: two classes with the same
    /// support rows (so the same condition) then get the same row under deterministic DDIM; with independent noise they differ.</summary>
    [Fact]
    public void SharedRowNoiseDenoisesTheRowsOfOneHeadFromTheSameStart()
    {
        using var data = RunData.Prepare(Run.Config, Run.Folder, null);
        var train = data.For(TaskSplits.Load(Run.Folder.Tasks).Seen[0]).Train;
        var support = train.Select(train.SupportIndices(5, new Generator(3)));
        var features = support.Features.ToArray();
        int f = support.FeatureLength;
        features.AsSpan(0, 5 * f).CopyTo(features.AsSpan(5 * f)); // class 1's examples := class 0's
        var twins = new FeatureSet(features, support.Labels, support.SampleShape, support.ClassNames, "twins");
        float Gap(string rowNoise)
        {
            var config = Run.Config with { Sampling = Run.Config.Sampling with { RowNoise = rowNoise, Eta = 0 } };
            using var generator = new WeightGenerator(config, Run.Folder);
            var rows = ClassRows.Split(generator.Architecture, generator.Generate(twins, 5, 2, new Generator(9))[1]);
            return rows[0].Keys.Max(name => rows[0][name].Zip(rows[1][name]).Max(p => Math.Abs(p.First - p.Second)));
        }
        Assert.True(Gap("shared") < 1e-4f, $"shared noise: rows of twin classes differ by {Gap("shared")}");
        Assert.True(Gap("independent") > 1e-2f, $"independent noise: rows of twin classes differ by only {Gap("independent")}");
        var modelWise = TinyPipeline.Json.Replace("\"samples\": 2,", "\"samples\": 2, \"rowNoise\": \"shared\",");
        Assert.Contains("sampling.rowNoise", Assert.Throws<FormatException>(() => PipelineConfig.Parse(modelWise, "tiny")).Message);
    }

    [Fact]
    public void ClassRowsRejectAnArchitectureThatIsNotALinearHead()
    {
        var json = TinyPipeline.ClassRowsJson.Replace("\"architecture\": \"linear-head\"", "\"architecture\": \"two-layer-head\"");
        var config = PipelineConfig.Parse(json, "tiny");
        Assert.Contains("vectors.layout", Assert.Throws<ArgumentException>(() => ClassRows.HeadTensors(ZooStage.Architecture(config))).Message);
        // The CLI's checks before work accept a row-sized VAE vector for class rows and refuse the two-layer head up front.
        ConfigValidation.Check(PipelineConfig.Parse(TinyPipeline.ClassRowsJson, "tiny"), "tiny", long.MaxValue);
        Assert.Contains("vectors.layout", Assert.Throws<FormatException>(() => ConfigValidation.Check(config, "tiny", long.MaxValue)).Message);
        var bad = TinyPipeline.ClassRowsJson.Replace("\"conditionVectorLength\": 32,", "\"conditionVectorLength\": 64,");
        Assert.Contains("model.unet.conditionVectorLength", Assert.Throws<FormatException>(() => PipelineConfig.Parse(bad, "tiny")).Message);
    }
}

using RawDiffusion.Pipeline;
using RawDiffusion.Tasks;
using RawDiffusion.Models;
using RawDiffusion.Zoo;

namespace RawDiffusion.Tests.Pipeline;

/// <summary>Support-set guidance (sampling.supportGuidance) on the tiny runs: its loss against a naive per-head
/// cross-entropy of the weights the normal generation path decodes, its gradient against finite differences, and
/// guided samples against unguided ones from the same noise.</summary>
public sealed class SupportGuidanceTests
{
    public static TheoryData<bool> Layouts => [true, false];

    static TinyRun RunOf(bool classRows) => classRows ? TinyRun.ClassRows : TinyRun.Shared;

    static FeatureSet Support(TinyRun run, RunData data, int task)
    {
        var train = data.For(TaskSplits.Load(run.Folder.Tasks).Unseen[task]).Train;
        return train.Select(train.SupportIndices(5, new Generator(3)));
    }

    static (SupportGuidance Guidance, WeightVae Vae, NormalizationStats Stats, TargetArchitecture Architecture) Build(TinyRun run, bool classRows, FeatureSet support)
    {
        var vae = VaeStage.Load(run.Config, run.Folder);
        foreach (var p in vae.Parameters()) p.RequiresGrad = false;
        var architecture = ZooStage.Architecture(run.Config);
        var layout = WeightVectorizer.Load(run.Folder.Layout);
        var stats = NormalizationStats.Load(run.Folder.Normalization, layout);
        return (new SupportGuidance(vae, run.Config.Model.Vae.LatentShape, stats, architecture, classRows, support, 0.1, 1), vae, stats, architecture);
    }

    /// <summary>The reference: decode with the VAE, de-normalise in place, cut into tensors, assemble each head, and
    /// sum the heads' mean support cross-entropies computed by a naive double loop.</summary>
    static double ReferenceLoss(Tensor x0, WeightVae vae, NormalizationStats stats, TargetArchitecture architecture, bool classRows, FeatureSet support)
    {
        using var _ = GradMode.NoGrad();
        int vectors = x0.Shape[0], length = stats.Layout.VectorLength, classes = support.ClassCount, features = support.FeatureLength;
        var decoded = vae.Decode((x0 / vae.LatentScale).Reshape([vectors, .. vae.Config.LatentShape])).ToArray<float>();
        stats.Denormalize(decoded);
        var parts = Enumerable.Range(0, vectors).Select(v => (IReadOnlyDictionary<string, float[]>)stats.Layout.Unflatten(decoded.AsSpan(v * length, length))).ToArray();
        int perHead = classRows ? classes : 1;
        var x = support.Features.Select(v => (double)v).ToArray();
        double total = 0;
        for (int h = 0; h < vectors / perHead; h++)
        {
            var head = classRows ? ClassRows.Assemble(architecture, parts[(h * perHead)..((h + 1) * perHead)]) : new Dictionary<string, float[]>(parts[h]);
            var (weight, bias) = ClassRows.HeadTensors(architecture);
            total += FewShotHeads.Loss(x, support.Labels, classes, features, head[weight.Name].Select(v => (double)v).ToArray(),
                                       head[bias.Name].Select(v => (double)v).ToArray(), 0);
        }
        return total;
    }

    static Tensor Latents(TinyRun run, int heads, bool classRows, ulong seed)
    {
        int perHead = classRows ? 3 : 1;
        return Tensor.Randn([heads * perHead, .. run.Config.Model.Vae.LatentShape], new Generator(seed));
    }

    [Theory, MemberData(nameof(Layouts))]
    public void LossIsEachHeadsSupportCrossEntropySummedOverHeads(bool classRows)
    {
        var run = RunOf(classRows);
        using var data = RunData.Prepare(run.Config, run.Folder, null);
        var support = Support(run, data, 0);
        var (guidance, vae, stats, architecture) = Build(run, classRows, support);
        using (vae)
        {
            var x0 = Latents(run, 4, classRows, 11);
            double ours;
            using (GradMode.NoGrad()) ours = guidance.Loss(x0).ToFloat64Array()[0];
            double reference = ReferenceLoss(x0, vae, stats, architecture, classRows, support);
            Assert.True(Math.Abs(ours - reference) <= 1e-4 * Math.Max(1, reference), $"loss {ours} against the reference {reference}");
        }
    }

    [Theory, MemberData(nameof(Layouts))]
    public void GradientMatchesCentralDifferencesOfTheReferenceLoss(bool classRows)
    {
        var run = RunOf(classRows);
        using var data = RunData.Prepare(run.Config, run.Folder, null);
        var support = Support(run, data, 1);
        var (guidance, vae, stats, architecture) = Build(run, classRows, support);
        using (vae)
        {
            var x0 = Latents(run, 2, classRows, 12);
            // One steer step of size s moves x0 by -s * gradient: recover the gradient from it.
            var moved = guidance.Steer(x0, 0).ToFloat64Array();
            var start = x0.ToFloat64Array();
            var rng = new Random(4);
            const double h = 1e-2;
            for (int probe = 0; probe < 6; probe++)
            {
                int i = rng.Next(start.Length);
                double gradient = (start[i] - moved[i]) / guidance.Scale;
                double Shifted(double d)
                {
                    var values = x0.ToArray<float>();
                    values[i] += (float)d;
                    return ReferenceLoss(Tensor.FromArray(values, x0.ShapeArray), vae, stats, architecture, classRows, support);
                }
                double numeric = (Shifted(h) - Shifted(-h)) / (2 * h);
                Assert.True(Math.Abs(gradient - numeric) <= 2e-2 * Math.Max(Math.Abs(numeric), 1e-2),
                            $"latent {i}: gradient {gradient}, central difference {numeric}");
            }
        }
    }

    /// <summary>Guided sampling from the same noise ends at heads that fit their support set better, in both layouts.</summary>
    [Theory, MemberData(nameof(Layouts))]
    public void GuidedSamplesFitTheSupportBetterThanUnguidedOnes(bool classRows)
    {
        var run = RunOf(classRows);
        using var data = RunData.Prepare(run.Config, run.Folder, null);
        var support = Support(run, data, 0);
        double SupportLoss(double strength)
        {
            var config = run.Config with { Sampling = run.Config.Sampling with { SupportGuidance = strength, SupportGuidanceSteps = 2 } };
            using var generator = new WeightGenerator(config, run.Folder);
            var (weight, bias) = ClassRows.HeadTensors(generator.Architecture);
            var x = support.Features.Select(v => (double)v).ToArray();
            return generator.Generate(support, 5, 4, new Generator(21)).Average(w =>
                FewShotHeads.Loss(x, support.Labels, support.ClassCount, support.FeatureLength, w[weight.Name].Select(v => (double)v).ToArray(),
                                  w[bias.Name].Select(v => (double)v).ToArray(), 0));
        }
        double plain = SupportLoss(0), guided = SupportLoss(0.5);
        Assert.True(guided < plain, $"support cross-entropy {guided} with guidance against {plain} without");
    }

    [Fact]
    public void BadSettingsAreRefusedByName()
    {
        var negative = TinyPipeline.ClassRowsJson.Replace("\"samples\": 2,", "\"samples\": 2, \"supportGuidance\": -1,");
        Assert.Contains("sampling.supportGuidance", Assert.Throws<FormatException>(() => PipelineConfig.Parse(negative, "tiny")).Message);
        var steps = TinyPipeline.ClassRowsJson.Replace("\"samples\": 2,", "\"samples\": 2, \"supportGuidance\": 0.5, \"supportGuidanceSteps\": 0,");
        Assert.Contains("sampling.supportGuidanceSteps", Assert.Throws<FormatException>(() => PipelineConfig.Parse(steps, "tiny")).Message);
        var twoLayer = TinyPipeline.Json.Replace("\"samples\": 2,", "\"samples\": 2, \"supportGuidance\": 0.5,")
                                        .Replace("\"architecture\": \"linear-head\"", "\"architecture\": \"two-layer-head\"");
        var config = PipelineConfig.Parse(twoLayer, "tiny");
        Assert.Contains("sampling.supportGuidance", Assert.Throws<FormatException>(() => ConfigValidation.Check(config, "tiny", long.MaxValue)).Message);
    }

    [Fact]
    public void TheReportLineSaysHowSamplesWereDrawn()
    {
        Assert.Equal("DDIM 5 steps (eta 0), classifier-free guidance 2, no support guidance", TinyRun.ClassRows.Config.Sampling.Describe());
        var guided = PipelineConfig.Parse(TinyPipeline.ClassRowsJson.Replace("\"samples\": 2,", "\"samples\": 2, \"rowNoise\": \"shared\", \"supportGuidance\": 0.5, \"supportGuidanceSteps\": 2,"), "tiny");
        Assert.Equal("DDIM 5 steps (eta 0), classifier-free guidance 2, shared row noise, support guidance 0.5 (2 steps per sampler step)", guided.Sampling.Describe());
    }
}

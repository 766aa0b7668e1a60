using RawDiffusion.Diffusion;
using RawDiffusion.Models;
using RawDiffusion.Nn;
using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Tests.Diffusion;

/// <summary>A small network trained with the DDPM loss on 2-D mixture samples must reproduce the mixture with both samplers.</summary>
public class LearnedMixtureTests
{
    sealed class Denoiser : Module
    {
        public Denoiser(Generator g)
        {
            In = RegisterModule("fc1", new Linear(2 + 32, 128, generator: g));
            Hidden = RegisterModule("fc2", new Linear(128, 128, generator: g));
            Out = RegisterModule("fc3", new Linear(128, 2, generator: g));
        }

        public Linear In { get; }
        public Linear Hidden { get; }
        public Linear Out { get; }

        public Tensor Forward(Tensor x, Tensor t) =>
            Out.Forward(F.Silu(Hidden.Forward(F.Silu(In.Forward(Tensor.Concat([x, TimestepEmbedding.Sinusoidal(t, 32)], 1))))));
    }

    static readonly double[][] Means = [[-2, 1], [1.5, -1]];
    const double Std = 0.3, FirstWeight = 0.4;

    static Tensor SampleMixture(int n, System.Random rng)
    {
        var v = new float[2 * n];
        for (int i = 0; i < n; i++)
        {
            var m = rng.NextDouble() < FirstWeight ? Means[0] : Means[1];
            for (int d = 0; d < 2; d++)
            {
                double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
                v[2 * i + d] = (float)(m[d] + Std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
            }
        }
        return Tensor.FromArray(v, n, 2);
    }

    [Fact]
    public void TrainedDenoiserSamplesTheMixtureWithDdpmAndDdim()
    {
        var generator = new Generator(11);
        var model = new Denoiser(generator);
        var diffusion = new GaussianDiffusion(NoiseSchedule.Linear(100, 1e-4, 0.1));
        var optimizer = new AdamW(model.Parameters(), 3e-3, weightDecay: 0);
        var rng = new System.Random(5);
        NoisePredictor predictor = (x, t, _) => model.Forward(x, t);
        for (int step = 0; step < 1500; step++)
        {
            using var scope = DisposeScope.Enter();
            if (step == 1000) optimizer.LearningRate = 1e-3;
            var loss = diffusion.TrainingLoss(predictor, SampleMixture(256, rng), generator);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
        Check(diffusion.SampleDdpm(predictor, [2000, 2], new Generator(1)), "DDPM");
        Check(diffusion.SampleDdim(predictor, [2000, 2], new Generator(2), steps: 50), "DDIM");
    }

    static void Check(Tensor samples, string sampler)
    {
        var v = samples.ToFloat64Array();
        int n = v.Length / 2, first = 0;
        var sums = new double[2][] { new double[2], new double[2] };
        var squares = new double[2][] { new double[2], new double[2] };
        var counts = new int[2];
        for (int i = 0; i < n; i++)
        {
            double d0 = Math.Pow(v[2 * i] - Means[0][0], 2) + Math.Pow(v[2 * i + 1] - Means[0][1], 2);
            double d1 = Math.Pow(v[2 * i] - Means[1][0], 2) + Math.Pow(v[2 * i + 1] - Means[1][1], 2);
            int k = d0 < d1 ? 0 : 1;
            if (k == 0) first++;
            counts[k]++;
            for (int d = 0; d < 2; d++) { sums[k][d] += v[2 * i + d]; squares[k][d] += v[2 * i + d] * v[2 * i + d]; }
        }
        Assert.InRange((double)first / n, FirstWeight - 0.06, FirstWeight + 0.06);
        for (int k = 0; k < 2; k++)
            for (int d = 0; d < 2; d++)
            {
                double mean = sums[k][d] / counts[k];
                double std = Math.Sqrt(squares[k][d] / counts[k] - mean * mean);
                Assert.True(Math.Abs(mean - Means[k][d]) < 0.15, $"{sampler}: component {k} mean[{d}] = {mean:F3}, expected {Means[k][d]}");
                Assert.True(std > Std * 0.7 && std < Std * 1.4, $"{sampler}: component {k} std[{d}] = {std:F3}, expected {Std}");
            }
    }
}

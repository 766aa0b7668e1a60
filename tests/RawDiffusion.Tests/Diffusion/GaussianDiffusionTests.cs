using RawDiffusion.Diffusion;

namespace RawDiffusion.Tests.Diffusion;

public class GaussianDiffusionTests
{
    // A 2-D mixture of isotropic Gaussians: weights, means, standard deviations.
    static readonly double[] Weights = [0.3, 0.7];
    static readonly double[][] Means = [[-2.0, 1.0], [1.5, -0.5]];
    static readonly double[] Stds = [0.3, 0.5];

    /// <summary>The exact minimiser of the DDPM loss for the mixture: ε*(x_t) = −sqrt(1 − ᾱ_t)·∇log p_t(x_t), where
    /// p_t is the mixture with means sqrt(ᾱ)μ_k and variances ᾱσ_k² + 1 − ᾱ. It lets the samplers be tested exactly,
    /// independently of any network.</summary>
    static NoisePredictor Oracle(NoiseSchedule schedule) => (xt, ts, conditional) =>
    {
        var x = xt.ToFloat64Array();
        var t = ts.ToFloat64Array();
        int n = t.Length;
        var eps = new double[x.Length];
        for (int i = 0; i < n; i++)
        {
            double ab = schedule.AlphasCumprod[(int)t[i]];
            double x0 = x[2 * i], x1 = x[2 * i + 1];
            var logw = new double[Weights.Length];
            var var_ = new double[Weights.Length];
            for (int k = 0; k < Weights.Length; k++)
            {
                var_[k] = ab * Stds[k] * Stds[k] + 1 - ab;
                double d0 = x0 - Math.Sqrt(ab) * Means[k][0], d1 = x1 - Math.Sqrt(ab) * Means[k][1];
                logw[k] = Math.Log(Weights[k]) - Math.Log(var_[k]) - (d0 * d0 + d1 * d1) / (2 * var_[k]);
            }
            double max = logw.Max();
            var post = logw.Select(l => Math.Exp(l - max)).ToArray();
            double z = post.Sum();
            double s0 = 0, s1 = 0;
            for (int k = 0; k < Weights.Length; k++)
            {
                double r = post[k] / z;
                s0 -= r * (x0 - Math.Sqrt(ab) * Means[k][0]) / var_[k];
                s1 -= r * (x1 - Math.Sqrt(ab) * Means[k][1]) / var_[k];
            }
            eps[2 * i] = -Math.Sqrt(1 - ab) * s0;
            eps[2 * i + 1] = -Math.Sqrt(1 - ab) * s1;
        }
        return Tensor.FromArray(Array.ConvertAll(eps, v => (float)v), xt.ShapeArray);
    };

    static void AssertMatchesMixture(Tensor samples, double tol)
    {
        var v = samples.ToFloat64Array();
        int n = v.Length / 2;
        // Moments of the mixture, and the share of samples nearer the first component's mean.
        double m0 = Weights[0] * Means[0][0] + Weights[1] * Means[1][0];
        double m1 = Weights[0] * Means[0][1] + Weights[1] * Means[1][1];
        double var0 = Enumerable.Range(0, 2).Sum(k => Weights[k] * (Stds[k] * Stds[k] + Means[k][0] * Means[k][0])) - m0 * m0;
        double sm0 = 0, sm1 = 0, sv0 = 0, near = 0;
        for (int i = 0; i < n; i++) { sm0 += v[2 * i]; sm1 += v[2 * i + 1]; }
        sm0 /= n; sm1 /= n;
        for (int i = 0; i < n; i++)
        {
            sv0 += (v[2 * i] - sm0) * (v[2 * i] - sm0);
            double da = Math.Pow(v[2 * i] - Means[0][0], 2) + Math.Pow(v[2 * i + 1] - Means[0][1], 2);
            double db = Math.Pow(v[2 * i] - Means[1][0], 2) + Math.Pow(v[2 * i + 1] - Means[1][1], 2);
            if (da < db) near++;
        }
        sv0 /= n - 1;
        Assert.InRange(sm0, m0 - tol, m0 + tol);
        Assert.InRange(sm1, m1 - tol, m1 + tol);
        Assert.InRange(sv0, var0 * (1 - 2 * tol), var0 * (1 + 2 * tol));
        Assert.InRange(near / n, Weights[0] - tol, Weights[0] + tol);
    }

    [Fact]
    public void DdpmWithTheExactNoisePredictorSamplesTheMixture()
    {
        var schedule = NoiseSchedule.Linear(200, 1e-4, 0.05);
        var diffusion = new GaussianDiffusion(schedule);
        var samples = diffusion.SampleDdpm(Oracle(schedule), [2000, 2], new Generator(3));
        AssertMatchesMixture(samples, 0.08);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void DdimWithTheExactNoisePredictorSamplesTheMixture(double eta)
    {
        var schedule = NoiseSchedule.Cosine(400);
        var diffusion = new GaussianDiffusion(schedule);
        var samples = diffusion.SampleDdim(Oracle(schedule), [2000, 2], new Generator(4), steps: 100, eta: eta);
        AssertMatchesMixture(samples, 0.08);
    }

    /// <summary>A given x_T is where sampling starts: the same draw passed in gives the same samples as drawing it inside,
    /// and the caller's tensor is left as it was.</summary>
    [Fact]
    public void SamplersStartFromAGivenNoise()
    {
        var schedule = NoiseSchedule.Cosine(50);
        var diffusion = new GaussianDiffusion(schedule);
        var start = Tensor.Randn([8, 2], new Generator(6));
        var before = start.ToFloat64Array();
        var drawn = diffusion.SampleDdim(Oracle(schedule), [8, 2], new Generator(6), steps: 10).ToFloat64Array();
        var given = diffusion.SampleDdim(Oracle(schedule), [8, 2], new Generator(99), steps: 10, start: start).ToFloat64Array();
        Assert.Equal(drawn, given);
        Assert.Equal(before, start.ToFloat64Array());
        var ddpm = diffusion.SampleDdpm(Oracle(schedule), [8, 2], new Generator(7), start: start);
        Assert.Equal([8, 2], ddpm.Shape);
        Assert.Throws<ArgumentException>(() => diffusion.SampleDdim(Oracle(schedule), [4, 2], new Generator(1), steps: 10, start: start));
    }

    [Fact]
    public void QSampleHasTheForwardProcessMoments()
    {
        var schedule = NoiseSchedule.Linear(1024);
        var diffusion = new GaussianDiffusion(schedule);
        int n = 20000, t = 500;
        var x0 = Tensor.Full([n, 1], 2.0);
        var noise = Tensor.Randn([n, 1], new Generator(5));
        var xt = diffusion.QSample(x0, Enumerable.Repeat(t, n).ToArray(), noise).ToFloat64Array();
        double ab = schedule.AlphasCumprod[t];
        double mean = xt.Average(), var_ = xt.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, 2 * Math.Sqrt(ab) - 0.03, 2 * Math.Sqrt(ab) + 0.03);
        Assert.InRange(var_, (1 - ab) * 0.96, (1 - ab) * 1.04);
    }

    [Fact]
    public void SchedulesFollowTheirDefinitions()
    {
        var lin = NoiseSchedule.Linear(1024);
        Assert.Equal(0.0015, lin.Betas[0], 12);
        Assert.Equal(0.0155, lin.Betas[^1], 12);
        Assert.Equal(Math.Pow((Math.Sqrt(0.0015) + Math.Sqrt(0.0155)) / 2, 2), (lin.Betas[511] + lin.Betas[512]) / 2, 5);
        var cos = NoiseSchedule.Cosine(1000);
        double F(double t) => Math.Pow(Math.Cos((t / 1000 + 0.008) / 1.008 * Math.PI / 2), 2);
        Assert.Equal(F(300) / F(0), cos.AlphasCumprod[299], 9);
        Assert.All(cos.Betas, b => Assert.InRange(b, 0, 0.999));
        Assert.Throws<ArgumentOutOfRangeException>(() => NoiseSchedule.Create(BetaSchedule.Linear, 0));
        Assert.Throws<ArgumentException>(() => NoiseSchedule.Linear(10, 0.2, 0.1));
    }

    [Fact]
    public void ClassifierFreeGuidanceExtrapolatesFromTheUnconditionalPrediction()
    {
        var diffusion = new GaussianDiffusion(NoiseSchedule.Linear(10, 0.01, 0.2));
        var seen = new List<bool>();
        NoisePredictor model = (x, t, conditional) => { seen.Add(conditional); return Tensor.Full(x.Shape, conditional ? 3.0 : 1.0); };
        // With guidance s, ε = 1 + s·(3 − 1); DDIM with eta 0 and one step gives x0 = (x − sqrt(1−ᾱ)ε)/sqrt(ᾱ).
        var a = diffusion.SampleDdim(model, [1, 1], new Generator(1), steps: 1, guidanceScale: 2.5).Item();
        var b = diffusion.SampleDdim(model, [1, 1], new Generator(1), steps: 1, guidanceScale: 1).Item();
        var start = Tensor.Randn([1, 1], new Generator(1)).Item();
        double ab = diffusion.Schedule.AlphasCumprod[0];
        Assert.Equal((start - Math.Sqrt(1 - ab) * 6) / Math.Sqrt(ab), a, 4);
        Assert.Equal((start - Math.Sqrt(1 - ab) * 3) / Math.Sqrt(ab), b, 4);
        Assert.Contains(false, seen);
    }

    [Fact]
    public void SteeringThatChangesNothingLeavesBothSamplersUnchanged()
    {
        var schedule = NoiseSchedule.Linear(100, 1e-4, 0.05);
        var diffusion = new GaussianDiffusion(schedule);
        var start = Tensor.Randn([64, 2], new Generator(5));
        CleanEstimateGuidance identity = (x0, _) => x0 * 1.0;
        var plain = diffusion.SampleDdim(Oracle(schedule), [64, 2], new Generator(1), steps: 20, start: start).ToFloat64Array();
        var steered = diffusion.SampleDdim(Oracle(schedule), [64, 2], new Generator(1), steps: 20, start: start, steer: identity).ToFloat64Array();
        for (int i = 0; i < plain.Length; i++) Assert.Equal(plain[i], steered[i], 3);
        var ancestral = diffusion.SampleDdpm(Oracle(schedule), [64, 2], new Generator(2), start: start).ToFloat64Array();
        var ancestralSteered = diffusion.SampleDdpm(Oracle(schedule), [64, 2], new Generator(2), start: start, steer: identity).ToFloat64Array();
        for (int i = 0; i < ancestral.Length; i++) Assert.Equal(ancestral[i], ancestralSteered[i], 3);
    }

    /// <summary>The last step of both samplers returns its clean estimate, so a guidance that always answers the same
    /// point c ends every sample at c; the steps it saw count down to t = 0.</summary>
    [Fact]
    public void BothSamplersEndAtTheSteeredCleanEstimate()
    {
        var schedule = NoiseSchedule.Linear(100, 1e-4, 0.05);
        var diffusion = new GaussianDiffusion(schedule);
        var target = new[] { 0.75f, -1.25f };
        var seen = new List<int>();
        CleanEstimateGuidance toTarget = (x0, t) =>
        {
            seen.Add(t);
            return Tensor.FromArray(Enumerable.Range(0, (int)x0.Numel).Select(i => target[i % 2]).ToArray(), x0.ShapeArray);
        };
        var ddim = diffusion.SampleDdim(Oracle(schedule), [16, 2], new Generator(1), steps: 10, steer: toTarget).ToFloat64Array();
        Assert.Equal(10, seen.Count);
        Assert.Equal(0, seen[^1]);
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First > p.Second));
        var ddpm = diffusion.SampleDdpm(Oracle(schedule), [16, 2], new Generator(1), steer: toTarget).ToFloat64Array();
        for (int i = 0; i < ddim.Length; i++)
        {
            Assert.Equal(target[i % 2], ddim[i], 3);
            Assert.Equal(target[i % 2], ddpm[i], 3);
        }
    }
}

namespace RawDiffusion.Diffusion;

public enum BetaSchedule
{
    /// <summary>Latent-diffusion "linear": sqrt(beta) spaced linearly from sqrt(start) to sqrt(end), squared.</summary>
    Linear,
    /// <summary>Nichol &amp; Dhariwal's cosine schedule of alpha-bar, betas capped at 0.999.</summary>
    Cosine,
}

/// <summary>The fixed forward process of a DDPM: betas and every quantity derived from them, in float64 on the host
/// (they are per-timestep scalars; tensors get them through <see cref="GaussianDiffusion"/>).</summary>
public sealed class NoiseSchedule
{
    NoiseSchedule(double[] betas)
    {
        Betas = betas;
        int n = betas.Length;
        AlphasCumprod = new double[n];
        double prod = 1;
        for (int t = 0; t < n; t++)
        {
            prod *= 1 - betas[t];
            AlphasCumprod[t] = prod;
        }
        PosteriorVariance = new double[n];
        for (int t = 0; t < n; t++)
        {
            double prev = t == 0 ? 1 : AlphasCumprod[t - 1];
            PosteriorVariance[t] = betas[t] * (1 - prev) / (1 - AlphasCumprod[t]);
        }
    }

    public int Steps => Betas.Length;
    public double[] Betas { get; }
    public double[] AlphasCumprod { get; }

    /// <summary>Variance of q(x_{t-1} | x_t, x_0) (beta-tilde).</summary>
    public double[] PosteriorVariance { get; }

    public double AlphaCumprodPrev(int t) => t == 0 ? 1 : AlphasCumprod[t - 1];

    public static NoiseSchedule Create(BetaSchedule kind, int steps, double linearStart = 0.0015, double linearEnd = 0.0155)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "a diffusion needs at least one timestep");
        return kind switch
        {
            BetaSchedule.Linear => Linear(steps, linearStart, linearEnd),
            BetaSchedule.Cosine => Cosine(steps),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown beta schedule"),
        };
    }

    public static NoiseSchedule Linear(int steps, double start = 0.0015, double end = 0.0155)
    {
        if (!(start > 0 && end > start && end < 1))
            throw new ArgumentException($"linear schedule needs 0 < start < end < 1, got start {start}, end {end}");
        var betas = new double[steps];
        double a = Math.Sqrt(start), b = Math.Sqrt(end);
        for (int t = 0; t < steps; t++)
        {
            double s = steps == 1 ? a : a + (b - a) * t / (steps - 1);
            betas[t] = s * s;
        }
        return new NoiseSchedule(betas);
    }

    public static NoiseSchedule Cosine(int steps, double offset = 0.008)
    {
        double F(double t) => Math.Pow(Math.Cos((t / steps + offset) / (1 + offset) * Math.PI / 2), 2);
        var betas = new double[steps];
        for (int t = 0; t < steps; t++) betas[t] = Math.Min(1 - F(t + 1) / F(t), 0.999);
        return new NoiseSchedule(betas);
    }
}

using RawDiffusion.Backends;

namespace RawDiffusion.Diffusion;

/// <summary>Predicts the noise in x_t at timesteps t (a float tensor [B]). The condition (a map, class or vector) is
/// held by the predictor; <paramref name="conditional"/> = false asks for the unconditional prediction that
/// classifier-free guidance contrasts with it.</summary>
public delegate Tensor NoisePredictor(Tensor xt, Tensor timesteps, bool conditional);

/// <summary>Steers sampling through the clean estimate x̂0 of each step (manifold-preserving guidance, He et al. 2024):
/// returns x̂0 moved to lower a loss measured on it, e.g. by a gradient step. The sampler then continues from the moved
/// estimate, so the trajectory stays one the model could have taken.</summary>
public delegate Tensor CleanEstimateGuidance(Tensor x0, int t);

/// <summary>Epsilon-prediction DDPM (Ho et al. 2020) with DDPM ancestral and DDIM (Song et al. 2021) samplers and
/// classifier-free guidance (Ho &amp; Salimans 2022).</summary>
public sealed class GaussianDiffusion(NoiseSchedule schedule)
{
    public NoiseSchedule Schedule { get; } = schedule;

    /// <summary>x_t = sqrt(ᾱ_t)·x0 + sqrt(1 − ᾱ_t)·ε, per sample.</summary>
    public Tensor QSample(Tensor x0, int[] t, Tensor noise)
    {
        CheckTimesteps(t, x0.Shape[0]);
        var a = PerSample(x0, t, i => Math.Sqrt(Schedule.AlphasCumprod[i]));
        var s = PerSample(x0, t, i => Math.Sqrt(1 - Schedule.AlphasCumprod[i]));
        return a * x0 + s * noise;
    }

    /// <summary>The simple DDPM loss: mean squared error between the true and the predicted noise at uniformly drawn t.
    /// (Condition dropout for classifier-free guidance is the predictor's business: see UNet.DropConditions.)</summary>
    public Tensor TrainingLoss(NoisePredictor model, Tensor x0, Generator generator)
    {
        int batch = x0.Shape[0];
        var rng = generator.HostRandom();
        var t = new int[batch];
        for (int i = 0; i < batch; i++) t[i] = rng.Next(Schedule.Steps);
        var noise = Tensor.Randn(x0.Shape, generator, dtype: x0.DType, backend: x0.Backend);
        var xt = QSample(x0, t, noise);
        var predicted = model(xt, Timesteps(t, x0), true);
        var diff = predicted - noise;
        return (diff * diff).Sum() * (1.0 / diff.Numel);
    }

    /// <summary>Ancestral sampling through all T steps (the paper's protocol).</summary>
    /// <param name="start">x_T of <paramref name="shape"/> (kept by the caller); drawn from the generator when null.</param>
    /// <param name="steer">Moves each step's clean estimate (see <see cref="CleanEstimateGuidance"/>); none when null.</param>
    public Tensor SampleDdpm(NoisePredictor model, int[] shape, Generator generator, double guidanceScale = 1, IBackend? backend = null, Tensor? start = null,
                             CleanEstimateGuidance? steer = null)
    {
        using var _ = GradMode.NoGrad();
        var x = Start(shape, generator, backend, start);
        for (int t = Schedule.Steps - 1; t >= 0; t--)
        {
            Tensor next;
            // One scope per step: a caller's scope around the whole loop would otherwise hold every step's network
            // activations until the end (gigabytes for a few hundred latents).
            using (var step = DisposeScope.Enter())
            {
                double ab = Schedule.AlphasCumprod[t], beta = Schedule.Betas[t];
                var eps = Steered(Guided(model, x, t, guidanceScale), x, t, ab, steer);
                // Posterior mean from ε: (x_t − β_t/sqrt(1 − ᾱ_t)·ε) / sqrt(α_t).
                var mean = (x - eps * (beta / Math.Sqrt(1 - ab))) * (1 / Math.Sqrt(1 - beta));
                next = step.MoveToOuter(t > 0 ? mean + Tensor.Randn(shape, generator, backend: x.Backend) * Math.Sqrt(Schedule.PosteriorVariance[t]) : mean);
            }
            x.Dispose();
            x = next;
        }
        return x;
    }

    /// <summary>DDIM over <paramref name="steps"/> evenly spaced timesteps; eta = 0 is deterministic, eta = 1 matches DDPM's variance.</summary>
    /// <param name="start">x_T of <paramref name="shape"/> (kept by the caller); drawn from the generator when null.</param>
    /// <param name="steer">Moves each step's clean estimate (see <see cref="CleanEstimateGuidance"/>); none when null.</param>
    public Tensor SampleDdim(NoisePredictor model, int[] shape, Generator generator, int steps = 50, double eta = 0, double guidanceScale = 1, IBackend? backend = null,
                             Tensor? start = null, CleanEstimateGuidance? steer = null)
    {
        if (steps < 1 || steps > Schedule.Steps)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"DDIM steps must be between 1 and the schedule's {Schedule.Steps}");
        if (eta < 0) throw new ArgumentOutOfRangeException(nameof(eta), eta, "eta must be >= 0");
        using var _ = GradMode.NoGrad();
        var timesteps = Enumerable.Range(0, steps).Select(i => (int)((long)i * Schedule.Steps / steps)).Distinct().Reverse().ToArray();
        var x = Start(shape, generator, backend, start);
        for (int i = 0; i < timesteps.Length; i++)
        {
            int t = timesteps[i];
            int prev = i + 1 < timesteps.Length ? timesteps[i + 1] : -1;
            double ab = Schedule.AlphasCumprod[t], abPrev = prev >= 0 ? Schedule.AlphasCumprod[prev] : 1;
            Tensor next;
            using (var step = DisposeScope.Enter())   // one scope per step, as in SampleDdpm
            {
                var eps = Steered(Guided(model, x, t, guidanceScale), x, t, ab, steer);
                var x0 = (x - eps * Math.Sqrt(1 - ab)) * (1 / Math.Sqrt(ab));
                double sigma = eta * Math.Sqrt((1 - abPrev) / (1 - ab) * (1 - ab / abPrev));
                next = x0 * Math.Sqrt(abPrev) + eps * Math.Sqrt(Math.Max(1 - abPrev - sigma * sigma, 0));
                if (sigma > 0) next = next + Tensor.Randn(shape, generator, backend: x.Backend) * sigma;
                step.MoveToOuter(next);
            }
            x.Dispose();
            x = next;
        }
        return x;
    }

    /// <summary>The noise that matches the steered clean estimate: x̂0 = (x_t − sqrt(1 − ᾱ_t)·ε) / sqrt(ᾱ_t) is moved by
    /// <paramref name="steer"/>, and ε' = (x_t − sqrt(ᾱ_t)·x̂0') / sqrt(1 − ᾱ_t) takes ε's place in the update.</summary>
    static Tensor Steered(Tensor eps, Tensor x, int t, double ab, CleanEstimateGuidance? steer)
    {
        if (steer == null) return eps;
        var x0 = (x - eps * Math.Sqrt(1 - ab)) * (1 / Math.Sqrt(ab));
        var moved = steer(x0, t);
        if (!moved.Shape.SequenceEqual(x.Shape))
            throw new InvalidOperationException($"the guidance returned a clean estimate of {ShapeMath.Format(moved.Shape)} for samples of {ShapeMath.Format(x.Shape)}");
        return (x - moved * Math.Sqrt(ab)) * (1 / Math.Sqrt(1 - ab));
    }

    /// <summary>A copy of the given x_T (the samplers dispose each step's x), or fresh noise.</summary>
    static Tensor Start(int[] shape, Generator generator, IBackend? backend, Tensor? start)
    {
        if (start == null) return Tensor.Randn(shape, generator, backend: backend);
        if (!start.Shape.SequenceEqual(shape))
            throw new ArgumentException($"the starting noise is {ShapeMath.Format(start.Shape)}, the samples {ShapeMath.Format(shape)}", nameof(start));
        return start * 1.0;
    }

    /// <summary>ε = ε_uncond + s·(ε_cond − ε_uncond); s = 1 is the plain conditional prediction.</summary>
    static Tensor Guided(NoisePredictor model, Tensor x, int t, double scale)
    {
        var ts = Tensor.Full([x.Shape[0]], t, x.DType, x.Backend);
        var cond = model(x, ts, true);
        if (scale == 1) return cond;
        var uncond = model(x, ts, false);
        return uncond + (cond - uncond) * scale;
    }

    static Tensor Timesteps(int[] t, Tensor like) => like.DType == DType.Float64
        ? Tensor.FromSpan<double>(Array.ConvertAll(t, v => (double)v), [t.Length], DType.Float64, like.Backend)
        : Tensor.FromSpan<float>(Array.ConvertAll(t, v => (float)v), [t.Length], DType.Float32, like.Backend);

    /// <summary>A [B, 1, 1, ...] tensor of per-sample coefficients that broadcasts against x.</summary>
    static Tensor PerSample(Tensor x, int[] t, Func<int, double> coefficient)
    {
        var shape = new int[x.Rank];
        Array.Fill(shape, 1);
        shape[0] = t.Length;
        var values = t.Select(coefficient).ToArray();
        return x.DType == DType.Float64
            ? Tensor.FromSpan<double>(values, shape, DType.Float64, x.Backend)
            : Tensor.FromSpan<float>(Array.ConvertAll(values, v => (float)v), shape, DType.Float32, x.Backend);
    }

    void CheckTimesteps(int[] t, int batch)
    {
        if (t.Length != batch) throw new ArgumentException($"{t.Length} timesteps for a batch of {batch}", nameof(t));
        foreach (var v in t)
            if (v < 0 || v >= Schedule.Steps) throw new ArgumentOutOfRangeException(nameof(t), v, $"timestep must be in [0, {Schedule.Steps})");
    }
}

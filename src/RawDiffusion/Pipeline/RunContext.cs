using RawDiffusion.Training;

namespace RawDiffusion.Pipeline;

/// <summary>The zoo's latents: scaled VAE posterior means of every vector, [Count, ...Shape] (what the diffusion model learns).</summary>
public sealed record ZooLatents(float[] Values, int[] Shape)
{
    public int Length => Values.Length / Count;
    public int Count { get; } = Shape.Length == 0 ? 0 : Values.Length / Shape.Aggregate(1, (a, b) => a * b);
}

/// <summary>
/// Everything the stages of one run share, each piece loaded from the run folder the first time a stage asks for it:
/// the config, the folder, the data and backbone features, the zoo's vectors (layout and normalisation included) and
/// their latents under the trained VAE. Stages take this one object, so `run` and `train` wire them the same way.
/// </summary>
public sealed class RunContext(PipelineConfig config, RunFolder run, string? dataRoot = null, Action<string>? log = null) : IDisposable
{
    RunData? data;
    ZooVectors? vectors;
    ZooLatents? latents;

    public PipelineConfig Config { get; } = config;
    public RunFolder Run { get; } = run;
    public Action<string>? Log { get; } = log;

    /// <summary>The backbone and the rows of every split (the backbone is trained on first use if the run has none).</summary>
    public RunData Data => data ??= RunData.Prepare(Config, Run, dataRoot, Log);

    /// <summary>The zoo as flattened, normalised vectors (after `zoo build`).</summary>
    public ZooVectors Vectors => vectors ??= ZooVectors.Load(Config, Run);

    /// <summary>The zoo's latents under the run's trained VAE (after `train vae`).</summary>
    public ZooLatents Latents
    {
        get
        {
            if (latents != null) return latents;
            using var vae = VaeStage.Load(Config, Run);
            return latents = new ZooLatents(VaeStage.Latents(vae, Vectors), Config.Model.Vae.LatentShape);
        }
    }

    public void Dispose() => data?.Dispose();
}

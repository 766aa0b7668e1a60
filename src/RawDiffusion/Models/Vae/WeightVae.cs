using RawDiffusion.Backends;
using RawDiffusion.Nn;

namespace RawDiffusion.Models;

/// <summary>The output of one VAE pass: reconstruction, posterior mean and log-variance, and the latent used.</summary>
public sealed record VaeOutput(Tensor Reconstruction, Tensor Mean, Tensor LogVariance, Tensor Latent);

/// <summary>The D2NWG weight autoencoder. 2-D: vector -> Linear + LeakyReLU -> 1 x R x R map -> <see cref="Encoder"/> ->
/// diagonal Gaussian latent -> <see cref="Decoder"/> -> map -> Linear back to the vector. 1-D: the (zero-padded) vector
/// is the 1-channel signal of Conv1d encoder/decoder. The loss is reconstruction + beta·KL; optional input and latent
/// noise augment training as in p-diff. <see cref="LatentScale"/> (a buffer, so it is saved with the model) scales
/// latents to unit variance for the diffusion model.</summary>
public sealed class WeightVae : Module
{
    public WeightVae(VaeConfig config, Generator? generator = null)
    {
        config.Validate();
        Config = config;
        int inChannels = 1;
        if (config.Dims == 2)
        {
            InputProjection = RegisterModule("fc_in", new Linear(config.VectorLength, config.MapSize * config.MapSize, generator: generator));
            OutputProjection = RegisterModule("fc_out", new Linear(config.MapSize * config.MapSize, config.VectorLength, generator: generator));
        }
        Encoder = RegisterModule("encoder", new Encoder(config, inChannels, generator));
        Decoder = RegisterModule("decoder", new Decoder(config, inChannels, generator));
        QuantConv = RegisterModule("quant_conv", new Conv(config.Dims, 2 * config.LatentChannels, 2 * config.LatentChannels, 1, generator: generator));
        PostQuantConv = RegisterModule("post_quant_conv", new Conv(config.Dims, config.LatentChannels, config.LatentChannels, 1, generator: generator));
        using (DisposeScope.Suspend()) LatentScale = RegisterBuffer("latent_scale", Tensor.Ones([1]));
    }

    public VaeConfig Config { get; }
    public Linear? InputProjection { get; }
    public Linear? OutputProjection { get; }
    public Encoder Encoder { get; }
    public Decoder Decoder { get; }
    public Conv QuantConv { get; }
    public Conv PostQuantConv { get; }
    public Tensor LatentScale { get; }

    /// <summary>Posterior mean and log-variance of vectors [B, L] (log-variance clamped to [−30, 20] as in LDM).</summary>
    public (Tensor Mean, Tensor LogVariance) Encode(Tensor vectors)
    {
        CheckVectors(vectors);
        int b = vectors.Shape[0];
        Tensor map;
        if (Config.Dims == 2) map = InputProjection!.Forward(vectors, UnaryOp.LeakyRelu, 0.01).Reshape(b, 1, Config.MapSize, Config.MapSize);
        else
        {
            int pad = Config.InputExtent - Config.VectorLength;
            map = (pad > 0 ? F.Pad(vectors, [0, pad]) : vectors).Reshape(b, 1, Config.InputExtent);
        }
        var moments = QuantConv.Forward(Encoder.Forward(map));
        var parts = moments.Chunk(2, 1);
        return (parts[0], parts[1].Clamp(-30, 20));
    }

    /// <summary>Latents [B, z, *] -> vectors [B, L].</summary>
    public Tensor Decode(Tensor latents)
    {
        int b = latents.Shape[0];
        var map = Decoder.Forward(PostQuantConv.Forward(latents));
        if (Config.Dims == 2) return OutputProjection!.Forward(map.Reshape(b, Config.MapSize * Config.MapSize));
        var flat = map.Reshape(b, Config.InputExtent);
        return Config.InputExtent == Config.VectorLength ? flat : flat.Slice(1, 0, Config.VectorLength);
    }

    /// <summary>Encodes, draws a latent (the mean in eval mode), decodes. Noise augmentation applies only in training.</summary>
    public VaeOutput Forward(Tensor vectors, Generator? generator = null)
    {
        var input = IsTraining && Config.InputNoise > 0 ? vectors + Tensor.Randn(vectors.Shape, generator, 0, Config.InputNoise, vectors.DType, vectors.Backend) : vectors;
        var (mean, logVar) = Encode(input);
        var z = mean;
        if (IsTraining)
        {
            z = mean + (logVar * 0.5).Exp() * Tensor.Randn(mean.Shape, generator, dtype: mean.DType, backend: mean.Backend);
            if (Config.LatentNoise > 0) z = z + Tensor.Randn(z.Shape, generator, 0, Config.LatentNoise, z.DType, z.Backend);
        }
        return new VaeOutput(Decode(z), mean, logVar, z);
    }

    /// <summary>Reconstruction (mean over elements) + beta · KL(q(z|w) ‖ N(0, I)) (summed over latent elements, mean over the batch).</summary>
    public (Tensor Total, Tensor Reconstruction, Tensor Kl) Loss(Tensor vectors, VaeOutput output)
    {
        var rec = Config.Reconstruction switch
        {
            "l1" => F.L1Loss(output.Reconstruction, vectors),
            "mse" => F.MseLoss(output.Reconstruction, vectors),
            _ => throw new InvalidOperationException($"vae.reconstruction \"{Config.Reconstruction}\" needs the accuracy predictor: train with PredictorGuidedLoss and Kl"),
        };
        var kl = Kl(output);
        return (rec + kl * Config.Beta, rec, kl);
    }

    /// <summary>KL(q(z|w) ‖ N(0, I)), summed over latent elements, mean over the batch.</summary>
    public static Tensor Kl(VaeOutput output) =>
        ((output.Mean.Square() + output.LogVariance.Exp() - output.LogVariance - 1) * 0.5).Sum() * (1.0 / output.Mean.Shape[0]);

    /// <summary>Sets <see cref="LatentScale"/> to 1/std of the posterior means of <paramref name="vectors"/> (LDM's scale_factor),
    /// so the diffusion model sees latents of unit variance.</summary>
    public double FitLatentScale(Tensor vectors)
    {
        using var _ = GradMode.NoGrad();
        var (mean, _) = Encode(vectors);
        double std = Math.Sqrt(mean.Var().Item());
        double scale = std > 0 ? 1 / std : 1;
        LatentScale.Fill(scale);
        return scale;
    }

    void CheckVectors(Tensor vectors)
    {
        if (vectors.Rank != 2 || vectors.Shape[1] != Config.VectorLength)
            throw new ArgumentException($"WeightVae expects vectors [B, {Config.VectorLength}], got {ShapeMath.Format(vectors.Shape)}", nameof(vectors));
    }
}

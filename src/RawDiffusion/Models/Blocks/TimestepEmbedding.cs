namespace RawDiffusion.Models;

/// <summary>Sinusoidal embedding of (possibly fractional) timesteps, as in the openai/latent-diffusion UNet:
/// [cos(t·f_0..f_{h-1}), sin(t·f_0..f_{h-1})] with f_i = 10000^(−i/h).</summary>
public static class TimestepEmbedding
{
    public static Tensor Sinusoidal(Tensor timesteps, int dim, double maxPeriod = 10000)
    {
        if (timesteps.Rank != 1) throw new ArgumentException($"timesteps must be a vector [B], got {ShapeMath.Format(timesteps.Shape)}", nameof(timesteps));
        if (dim < 2) throw new ArgumentOutOfRangeException(nameof(dim), dim, "embedding dimension must be at least 2");
        var t = timesteps.ToFloat64Array();
        int half = dim / 2;
        var values = new float[t.Length * dim];
        for (int b = 0; b < t.Length; b++)
            for (int i = 0; i < half; i++)
            {
                double arg = t[b] * Math.Exp(-Math.Log(maxPeriod) * i / half);
                values[b * dim + i] = (float)Math.Cos(arg);
                values[b * dim + half + i] = (float)Math.Sin(arg);
            }
        return timesteps.DType == DType.Float64
            ? Tensor.FromSpan<double>(Array.ConvertAll(values, v => (double)v), [t.Length, dim], DType.Float64, timesteps.Backend)
            : Tensor.FromSpan<float>(values, [t.Length, dim], DType.Float32, timesteps.Backend);
    }
}

using RawDiffusion.Backends;

namespace RawDiffusion.Models.Language;

/// <summary>The cos/sin tables of rotary positions for one head size, as LlamaRotaryEmbedding builds them:
/// inv_freq_i = θ^(−2i/D) (rounded to float32 as PyTorch computes it), angle(p, i) = p·inv_freq_i, each table [L, D]
/// with the angles repeated over the two halves. The values are computed once in float64; the tensors are made per
/// call, in the input's dtype and backend, so they belong to the caller's <see cref="DisposeScope"/> like any
/// intermediate and nothing outlives the forward pass (they are not part of the state dict, as in Hugging Face).</summary>
public sealed class RotaryEmbedding
{
    readonly double[] cos, sin;

    public RotaryEmbedding(int headDim, int maxPositions, double theta)
    {
        if (headDim <= 0 || headDim % 2 != 0) throw new ArgumentException($"rotary embedding: head dimension {headDim} must be positive and even", nameof(headDim));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPositions);
        if (!(theta > 1)) throw new ArgumentOutOfRangeException(nameof(theta), theta, "rotary embedding: rope_theta must be > 1");
        HeadDim = headDim;
        MaxPositions = maxPositions;
        cos = new double[maxPositions * headDim];
        sin = new double[maxPositions * headDim];
        int half = headDim / 2;
        for (int i = 0; i < half; i++)
        {
            double invFreq = (float)(1.0 / Math.Pow(theta, 2.0 * i / headDim));
            for (int p = 0; p < maxPositions; p++)
            {
                // PyTorch multiplies the float32 positions by the float32 frequencies.
                double angle = (float)(p * invFreq);
                cos[p * headDim + i] = cos[p * headDim + i + half] = Math.Cos(angle);
                sin[p * headDim + i] = sin[p * headDim + i + half] = Math.Sin(angle);
            }
        }
    }

    public int HeadDim { get; }
    public int MaxPositions { get; }

    /// <summary>The tables [L, D] for positions 0..L−1 in <paramref name="dtype"/>.</summary>
    public (Tensor Cos, Tensor Sin) Tables(int length, DType dtype, IBackend backend)
    {
        if (length > MaxPositions)
            throw new ArgumentException($"rotary embedding: sequence length {length} exceeds max_position_embeddings {MaxPositions}", nameof(length));
        int n = length * HeadDim;
        return (Table(cos.AsSpan(0, n), length, dtype, backend), Table(sin.AsSpan(0, n), length, dtype, backend));
    }

    /// <summary>Rotates <paramref name="x"/> [..., L, D] for positions 0..L−1.</summary>
    public Tensor Apply(Tensor x)
    {
        var (c, s) = Tables(x.Shape[^2], x.DType, x.Backend);
        return F.Rotary(x, c, s);
    }

    Tensor Table(ReadOnlySpan<double> values, int length, DType dtype, IBackend backend) => dtype switch
    {
        DType.Float64 => Tensor.FromSpan(values, [length, HeadDim], DType.Float64, backend),
        DType.Float32 => Tensor.FromSpan<float>(ToFloat(values), [length, HeadDim], DType.Float32, backend),
        _ => throw new ArgumentException($"rotary embedding: tables must be floating point, not {dtype}", nameof(dtype)),
    };

    static float[] ToFloat(ReadOnlySpan<double> values)
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = (float)values[i];
        return result;
    }
}

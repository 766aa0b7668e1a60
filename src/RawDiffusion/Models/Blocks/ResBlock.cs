using RawDiffusion.Nn;

namespace RawDiffusion.Models;

/// <summary>The latent-diffusion residual block: GroupNorm, SiLU, conv; then the (optional) embedding, either added
/// or as scale-shift on the second norm (openai's use_scale_shift_norm); GroupNorm, SiLU, dropout, conv; plus a
/// 1x1 skip when the channel count changes.</summary>
public sealed class ResBlock : Module
{
    readonly double dropout;
    readonly bool scaleShift;

    public ResBlock(int dims, int inChannels, int outChannels, int embeddingDim = 0, bool scaleShift = false, double dropout = 0,
                    bool zeroInitLast = false, Generator? generator = null)
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        this.dropout = dropout;
        this.scaleShift = scaleShift;
        Norm1 = RegisterModule("norm1", GroupNorm.ForChannels(inChannels));
        Conv1 = RegisterModule("conv1", new Conv(dims, inChannels, outChannels, 3, padding: 1, generator: generator));
        if (embeddingDim > 0)
            EmbeddingProjection = RegisterModule("emb_proj", new Linear(embeddingDim, scaleShift ? 2 * outChannels : outChannels, generator: generator));
        Norm2 = RegisterModule("norm2", GroupNorm.ForChannels(outChannels));
        Conv2 = RegisterModule("conv2", new Conv(dims, outChannels, outChannels, 3, padding: 1, generator: generator));
        if (zeroInitLast)
        {
            Init.Zeros(Conv2.Weight);
            Init.Zeros(Conv2.Bias!);
        }
        if (inChannels != outChannels)
            Skip = RegisterModule("nin_shortcut", new Conv(dims, inChannels, outChannels, 1, generator: generator));
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public GroupNorm Norm1 { get; }
    public Conv Conv1 { get; }
    public Linear? EmbeddingProjection { get; }
    public GroupNorm Norm2 { get; }
    public Conv Conv2 { get; }
    public Conv? Skip { get; }

    /// <param name="x">[B, C, *spatial]</param>
    /// <param name="embedding">[B, E] (timestep plus conditions), or null for blocks built without one.</param>
    public Tensor Forward(Tensor x, Tensor? embedding = null)
    {
        var h = Conv1.Forward(Norm1.ForwardSilu(x));
        if (EmbeddingProjection != null)
        {
            if (embedding == null) throw new ArgumentNullException(nameof(embedding), "this ResBlock was built with an embedding projection and needs an embedding");
            var e = EmbeddingProjection.Forward(F.Silu(embedding));
            var shape = new int[h.Rank];
            Array.Fill(shape, 1);
            shape[0] = h.Shape[0];
            shape[1] = e.Shape[1];
            e = e.Reshape(shape);
            if (scaleShift)
            {
                var parts = e.Chunk(2, 1);
                h = F.Silu(Norm2.Forward(h) * (parts[0] + 1) + parts[1]);
            }
            else h = Norm2.ForwardSilu(h + e);
        }
        else h = Norm2.ForwardSilu(h);
        if (dropout > 0) h = F.Dropout(h, dropout, IsTraining);
        h = Conv2.Forward(h);
        return (Skip?.Forward(x) ?? x) + h;
    }
}

using RawDiffusion.Nn;

namespace RawDiffusion.Models;

/// <summary>The latent-diffusion KL encoder: conv_in, per level ResBlocks (+ attention at chosen resolutions) and a
/// Downsample between levels, a middle ResBlock–AttentionBlock–ResBlock, then GroupNorm, SiLU and a conv to the
/// mean and log-variance channels.</summary>
public sealed class Encoder : Module
{
    readonly List<Module> levels = [];

    public Encoder(VaeConfig c, int inChannels, Generator? generator = null)
    {
        int dims = c.Dims, ch = c.BaseChannels;
        ConvIn = RegisterModule("conv_in", new Conv(dims, inChannels, ch, 3, padding: 1, generator: generator));
        int resolution = c.InputExtent, blockIn = ch;
        for (int level = 0; level < c.ChannelMultipliers.Length; level++)
        {
            int blockOut = ch * c.ChannelMultipliers[level];
            for (int r = 0; r < c.ResBlocksPerLevel; r++)
            {
                levels.Add(RegisterModule($"down.{level}.block.{r}", new ResBlock(dims, blockIn, blockOut, generator: generator)));
                blockIn = blockOut;
                if (c.AttentionResolutions.Contains(resolution))
                    levels.Add(RegisterModule($"down.{level}.attn.{r}", new AttentionBlock(blockIn, generator: generator)));
            }
            if (level != c.ChannelMultipliers.Length - 1)
            {
                levels.Add(RegisterModule($"down.{level}.downsample", new Downsample(dims, blockIn, generator)));
                resolution /= 2;
            }
        }
        Mid1 = RegisterModule("mid.block_1", new ResBlock(dims, blockIn, blockIn, generator: generator));
        MidAttention = RegisterModule("mid.attn_1", new AttentionBlock(blockIn, generator: generator));
        Mid2 = RegisterModule("mid.block_2", new ResBlock(dims, blockIn, blockIn, generator: generator));
        NormOut = RegisterModule("norm_out", GroupNorm.ForChannels(blockIn));
        ConvOut = RegisterModule("conv_out", new Conv(dims, blockIn, 2 * c.LatentChannels, 3, padding: 1, generator: generator));
    }

    public Conv ConvIn { get; }
    public ResBlock Mid1 { get; }
    public AttentionBlock MidAttention { get; }
    public ResBlock Mid2 { get; }
    public GroupNorm NormOut { get; }
    public Conv ConvOut { get; }

    /// <summary>[B, inChannels, *] -> moments [B, 2z, *latent].</summary>
    public Tensor Forward(Tensor x)
    {
        var h = ConvIn.Forward(x);
        foreach (var m in levels) h = Apply(m, h);
        h = Mid2.Forward(MidAttention.Forward(Mid1.Forward(h)));
        return ConvOut.Forward(NormOut.ForwardSilu(h));
    }

    internal static Tensor Apply(Module m, Tensor h) => m switch
    {
        ResBlock r => r.Forward(h),
        AttentionBlock a => a.Forward(h),
        Layer l => l.Forward(h),
        _ => throw new InvalidOperationException($"unexpected module {m}"),
    };
}

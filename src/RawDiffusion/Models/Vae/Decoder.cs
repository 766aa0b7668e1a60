using RawDiffusion.Nn;

namespace RawDiffusion.Models;

/// <summary>The mirror of <see cref="Encoder"/>: conv_in from the latent, the middle block, then per level (deepest
/// first) ResBlocks (+ attention) and an Upsample, then GroupNorm, SiLU and a conv to the output channels.</summary>
public sealed class Decoder : Module
{
    readonly List<Module> levels = [];

    public Decoder(VaeConfig c, int outChannels, Generator? generator = null)
    {
        int dims = c.Dims, ch = c.BaseChannels;
        int blockIn = ch * c.ChannelMultipliers[^1];
        int resolution = c.LatentExtent;
        ConvIn = RegisterModule("conv_in", new Conv(dims, c.LatentChannels, blockIn, 3, padding: 1, generator: generator));
        Mid1 = RegisterModule("mid.block_1", new ResBlock(dims, blockIn, blockIn, generator: generator));
        MidAttention = RegisterModule("mid.attn_1", new AttentionBlock(blockIn, generator: generator));
        Mid2 = RegisterModule("mid.block_2", new ResBlock(dims, blockIn, blockIn, generator: generator));
        for (int level = c.ChannelMultipliers.Length - 1; level >= 0; level--)
        {
            int blockOut = ch * c.ChannelMultipliers[level];
            for (int r = 0; r <= c.ResBlocksPerLevel; r++)
            {
                levels.Add(RegisterModule($"up.{level}.block.{r}", new ResBlock(dims, blockIn, blockOut, generator: generator)));
                blockIn = blockOut;
                if (c.AttentionResolutions.Contains(resolution))
                    levels.Add(RegisterModule($"up.{level}.attn.{r}", new AttentionBlock(blockIn, generator: generator)));
            }
            if (level != 0)
            {
                levels.Add(RegisterModule($"up.{level}.upsample", new Upsample(dims, blockIn, generator)));
                resolution *= 2;
            }
        }
        NormOut = RegisterModule("norm_out", GroupNorm.ForChannels(blockIn));
        ConvOut = RegisterModule("conv_out", new Conv(dims, blockIn, outChannels, 3, padding: 1, generator: generator));
    }

    public Conv ConvIn { get; }
    public ResBlock Mid1 { get; }
    public AttentionBlock MidAttention { get; }
    public ResBlock Mid2 { get; }
    public GroupNorm NormOut { get; }
    public Conv ConvOut { get; }

    public Tensor Forward(Tensor z)
    {
        var h = Mid2.Forward(MidAttention.Forward(Mid1.Forward(ConvIn.Forward(z))));
        foreach (var m in levels) h = Encoder.Apply(m, h);
        return ConvOut.Forward(NormOut.ForwardSilu(h));
    }
}

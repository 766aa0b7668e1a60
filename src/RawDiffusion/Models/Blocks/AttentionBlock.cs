using RawDiffusion.Nn;

namespace RawDiffusion.Models;

/// <summary>Self-attention over the spatial positions of a feature map, with a residual connection (latent-diffusion's
/// AttnBlock, with multiple heads as in the openai UNet). q, k, v and the output projection act on channels, like 1x1 convolutions.</summary>
public sealed class AttentionBlock : Module
{
    public AttentionBlock(int channels, int heads = 1, bool zeroInitOutput = false, Generator? generator = null)
    {
        if (heads <= 0 || channels % heads != 0)
            throw new ArgumentException($"AttentionBlock: {heads} heads do not divide {channels} channels", nameof(heads));
        Channels = channels;
        Heads = heads;
        Norm = RegisterModule("norm", GroupNorm.ForChannels(channels));
        Q = RegisterModule("q", new Linear(channels, channels, generator: generator));
        K = RegisterModule("k", new Linear(channels, channels, generator: generator));
        V = RegisterModule("v", new Linear(channels, channels, generator: generator));
        Output = RegisterModule("proj_out", new Linear(channels, channels, generator: generator));
        if (zeroInitOutput)
        {
            Init.Zeros(Output.Weight);
            Init.Zeros(Output.Bias!);
        }
    }

    public int Channels { get; }
    public int Heads { get; }
    public GroupNorm Norm { get; }
    public Linear Q { get; }
    public Linear K { get; }
    public Linear V { get; }
    public Linear Output { get; }

    public Tensor Forward(Tensor x)
    {
        int b = x.Shape[0], c = x.Shape[1];
        int positions = (int)(x.Numel / ((long)b * c));
        // [B, C, *] -> [B, P, C]: positions become the sequence.
        var tokens = Norm.Forward(x).Reshape(b, c, positions).Transpose(1, 2);
        Tensor SplitHeads(Tensor t) => t.Reshape(b, positions, Heads, c / Heads).Permute(0, 2, 1, 3);
        var attended = F.ScaledDotProductAttention(SplitHeads(Q.Forward(tokens)), SplitHeads(K.Forward(tokens)), SplitHeads(V.Forward(tokens)));
        var merged = attended.Permute(0, 2, 1, 3).Reshape(b, positions, c);
        var projected = Output.Forward(merged).Transpose(1, 2).Reshape(x.ShapeArray);
        return x + projected;
    }
}

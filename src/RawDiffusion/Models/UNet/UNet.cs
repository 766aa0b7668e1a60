using RawDiffusion.Backends;
using RawDiffusion.Diffusion;
using RawDiffusion.Nn;

namespace RawDiffusion.Models;

/// <summary>The openai / latent-diffusion UNet: sinusoidal timestep embedding and MLP; ResBlocks with (scale-shift)
/// embedding conditioning; multi-head self-attention at chosen resolutions; Downsample/Upsample; skip connections
/// from every encoder stage to the decoder. With <see cref="UNetConfig.Dims"/> = 1 every convolution, down- and upsampling
/// is one-dimensional (the second seed's 1-D convolutional UNet over a latent signal). Conditions: a map concatenated to the input, a class embedding and a
/// vector embedding added to the timestep embedding.</summary>
public sealed class UNet : Module
{
    sealed class Stage(ResBlock? res, AttentionBlock? attention, Layer? resample)
    {
        public Tensor Forward(Tensor h, Tensor emb)
        {
            if (res != null) h = res.Forward(h, emb);
            if (attention != null) h = attention.Forward(h);
            if (resample != null) h = resample.Forward(h);
            return h;
        }
    }

    readonly List<Stage> down = [];
    readonly List<Stage> up = [];

    public UNet(UNetConfig config, Generator? generator = null)
    {
        config.Validate();
        Config = config;
        int mc = config.ModelChannels, emb = config.EmbeddingDim;
        TimeMlp1 = RegisterModule("time_embed.0", new Linear(mc, emb, generator: generator));
        TimeMlp2 = RegisterModule("time_embed.2", new Linear(emb, emb, generator: generator));
        if (config.ClassCount > 0) ClassEmbedding = RegisterModule("label_emb", new Embedding(config.ClassCount + 1, emb, generator));
        if (config.ConditionVectorLength > 0) VectorEmbedding = RegisterModule("vector_emb", new Linear(config.ConditionVectorLength, emb, generator: generator));
        ConvIn = RegisterModule("input_blocks.0", new Conv(config.Dims, config.InChannels, mc, 3, padding: 1, generator: generator));

        ResBlock Res(string name, int cin, int cout) =>
            RegisterModule(name, new ResBlock(config.Dims, cin, cout, emb, config.ScaleShift, config.Dropout, zeroInitLast: true, generator: generator));
        AttentionBlock? Attn(string name, int ch, int res) =>
            config.AttentionResolutions.Contains(res) ? RegisterModule(name, new AttentionBlock(ch, config.Heads, zeroInitOutput: true, generator: generator)) : null;

        var skipChannels = new Stack<int>();
        skipChannels.Push(mc);
        int channels = mc, resolution = config.ImageSize, index = 1;
        for (int level = 0; level < config.ChannelMultipliers.Length; level++)
        {
            for (int r = 0; r < config.ResBlocksPerLevel; r++, index++)
            {
                int cout = config.ChannelMultipliers[level] * mc;
                var res = Res($"input_blocks.{index}.res", channels, cout);
                channels = cout;
                down.Add(new Stage(res, Attn($"input_blocks.{index}.attn", channels, resolution), null));
                skipChannels.Push(channels);
            }
            if (level != config.ChannelMultipliers.Length - 1)
            {
                down.Add(new Stage(null, null, RegisterModule($"input_blocks.{index++}.down", new Downsample(config.Dims, channels, generator))));
                skipChannels.Push(channels);
                resolution /= 2;
            }
        }
        Middle1 = Res("middle_block.0", channels, channels);
        MiddleAttention = RegisterModule("middle_block.1", new AttentionBlock(channels, config.Heads, zeroInitOutput: true, generator: generator));
        Middle2 = Res("middle_block.2", channels, channels);
        index = 0;
        for (int level = config.ChannelMultipliers.Length - 1; level >= 0; level--)
        {
            for (int r = 0; r <= config.ResBlocksPerLevel; r++, index++)
            {
                int cout = config.ChannelMultipliers[level] * mc;
                var res = Res($"output_blocks.{index}.res", channels + skipChannels.Pop(), cout);
                channels = cout;
                var attn = Attn($"output_blocks.{index}.attn", channels, resolution);
                Upsample? upsample = null;
                if (level != 0 && r == config.ResBlocksPerLevel)
                {
                    upsample = RegisterModule($"output_blocks.{index}.up", new Upsample(config.Dims, channels, generator));
                    resolution *= 2;
                }
                up.Add(new Stage(res, attn, upsample));
            }
        }
        NormOut = RegisterModule("out.0", GroupNorm.ForChannels(channels));
        ConvOut = RegisterModule("out.2", new Conv(config.Dims, channels, config.OutChannels, 3, padding: 1, generator: generator));
        Init.Zeros(ConvOut.Weight);
        Init.Zeros(ConvOut.Bias!);
    }

    public UNetConfig Config { get; }
    public Linear TimeMlp1 { get; }
    public Linear TimeMlp2 { get; }
    public Embedding? ClassEmbedding { get; }
    public Linear? VectorEmbedding { get; }
    public Conv ConvIn { get; }
    public ResBlock Middle1 { get; }
    public AttentionBlock MiddleAttention { get; }
    public ResBlock Middle2 { get; }
    public GroupNorm NormOut { get; }
    public Conv ConvOut { get; }

    /// <param name="x">Noisy latents [B, LatentChannels, S, S] (2-D) or [B, LatentChannels, S] (1-D).</param>
    /// <param name="timesteps">[B] (float).</param>
    /// <param name="condition">Null or partly null for the unconditional prediction.</param>
    public Tensor Forward(Tensor x, Tensor timesteps, UNetCondition? condition = null)
    {
        int b = x.Shape[0];
        int[] expected = Config.InputShape;
        if (x.Rank != expected.Length + 1 || !x.ShapeArray.AsSpan(1).SequenceEqual(expected))
            throw new ArgumentException($"UNet ({Config.Dims}-D) expects latents [B, {string.Join(", ", expected)}], got {ShapeMath.Format(x.Shape)}", nameof(x));
        var emb = TimeMlp2.Forward(TimeMlp1.Forward(TimestepEmbedding.Sinusoidal(timesteps, Config.ModelChannels), UnaryOp.Silu));
        if (ClassEmbedding != null)
        {
            var index = condition?.ClassIndex ?? Tensor.Full([b], Config.ClassCount, DType.Int32, x.Backend);
            emb = emb + ClassEmbedding.Forward(index);
        }
        if (VectorEmbedding != null && condition?.Vector != null) emb = emb + VectorEmbedding.Forward(condition.Vector);
        if (Config.ConditionMapChannels > 0)
        {
            var map = condition?.Map ?? Tensor.Zeros([b, Config.ConditionMapChannels, .. Config.SpatialShape], x.DType, x.Backend);
            x = Tensor.Concat([x, map], 1);
        }

        var h = ConvIn.Forward(x);
        var skips = new Stack<Tensor>();
        skips.Push(h);
        foreach (var stage in down)
        {
            h = stage.Forward(h, emb);
            skips.Push(h);
        }
        h = Middle2.Forward(MiddleAttention.Forward(Middle1.Forward(h, emb)), emb);
        foreach (var stage in up) h = stage.Forward(Tensor.Concat([h, skips.Pop()], 1), emb);
        return ConvOut.Forward(NormOut.ForwardSilu(h));
    }

    /// <summary>The noise predictor the diffusion samplers call, holding the condition for a whole sampling run.</summary>
    public NoisePredictor AsNoisePredictor(UNetCondition? condition) =>
        (xt, t, conditional) => Forward(xt, t, conditional ? condition : null);

    /// <summary>Drops the condition of each sample with probability <see cref="UNetConfig.ConditionDropout"/> (training for
    /// classifier-free guidance): maps and vectors become zeros, class indices the null class.</summary>
    public UNetCondition DropConditions(UNetCondition condition, Generator generator)
    {
        double p = Config.ConditionDropout;
        if (p <= 0) return condition;
        var rng = generator.HostRandom();
        var keep = new bool[(condition.Map ?? condition.Vector ?? condition.ClassIndex)!.Shape[0]];
        for (int i = 0; i < keep.Length; i++) keep[i] = rng.NextDouble() >= p;
        Tensor? Mask(Tensor? t)
        {
            if (t == null) return null;
            var shape = new int[t.Rank];
            Array.Fill(shape, 1);
            shape[0] = keep.Length;
            var m = keep.Select(k => k ? 1f : 0f).ToArray();
            return t * Tensor.FromSpan<float>(m, shape, DType.Float32, t.Backend);
        }
        Tensor? classes = null;
        if (condition.ClassIndex != null)
        {
            var ids = condition.ClassIndex.ToArray<int>();
            for (int i = 0; i < ids.Length; i++) if (!keep[i]) ids[i] = Config.ClassCount;
            classes = Tensor.FromSpan<int>(ids, condition.ClassIndex.ShapeArray, DType.Int32, condition.ClassIndex.Backend);
        }
        return new UNetCondition(Mask(condition.Map), classes, Mask(condition.Vector));
    }
}

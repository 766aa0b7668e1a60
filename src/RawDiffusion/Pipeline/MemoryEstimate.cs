using System.Globalization;
using RawDiffusion.Models;

namespace RawDiffusion.Pipeline;

/// <summary>
/// What training one of a run's networks costs in memory, worked out from the config alone (no tensor is made), so a
/// config that cannot fit is refused before any training instead of failing hours later. The walk mirrors the
/// constructors of <see cref="UNet"/>, <see cref="WeightVae"/> and the dataset encoders block by block: parameters are
/// counted exactly as they build them (the tests check this against the built networks); activations kept for the
/// backward pass are an estimate (a ResBlock keeps about six tensors of its input and output size, attention six of
/// its input and the score matrices). Training holds each parameter five times over (weights, gradient, Adam's two
/// moments, the EMA copy).
/// </summary>
public sealed record MemoryEstimate(string Network, string Fields, long Parameters, long ActivationElements, long LargestTensorElements, long DataElements)
{
    /// <summary>Copies of each parameter held while training: weights, gradient, two Adam moments, EMA.</summary>
    public const int ParameterCopies = 5;

    /// <summary>The CPU backend's limit on one tensor's elements (one .NET array).</summary>
    public static readonly long MaxTensorElements = Array.MaxLength;

    public long Bytes => sizeof(float) * (ParameterCopies * Parameters + ActivationElements + DataElements);

    public override string ToString() =>
        $"{Network}: {Parameters.ToString("N0", CultureInfo.InvariantCulture)} parameters, about {Format(Bytes)} to train";

    /// <summary>The three trained networks of a run, each with the config fields that size it.</summary>
    public static IReadOnlyList<MemoryEstimate> ForRun(PipelineConfig config)
    {
        var m = config.Model;
        long zooVectors = (long)config.Tasks.Seen * config.Zoo.Seeds * config.Zoo.KeepLastEpochs * m.Vae.VectorLength;
        return
        [
            Backbone(config.Backbone, 784, config.Zoo.BatchSize),
            Vae(m.Vae, config.Training.Vae.BatchSize, 2 * zooVectors),
            Encoder(m.DatasetEncoder, config.Training.Encoder.BatchSize, config.Sampling.SupportPerClass, config.Tasks.ClassesPerTask),
            UNet(m.UNet, config.Training.Diffusion.BatchSize),
        ];
    }

    /// <summary>Walks a network's blocks, adding up parameters, kept activations and the largest tensor.</summary>
    sealed class Walk(int batch)
    {
        public long Parameters, Activations, Largest;

        void Tensor(long elements) => Largest = Math.Max(Largest, elements);

        public void Params(long count)
        {
            Parameters = checked(Parameters + count);
            Tensor(count);
        }

        public void Kept(long elementsPerSample, int copies = 1)
        {
            Activations = checked(Activations + copies * batch * elementsPerSample);
            Tensor(checked(batch * elementsPerSample));
        }

        public void Conv(int dims, int cin, int cout, int kernel, long outArea)
        {
            Params(checked((long)cin * cout * Pow(kernel, dims) + cout));
            Kept(checked(cout * outArea));
            // im2col's column buffer of one sample.
            Tensor(checked((long)cin * Pow(kernel, dims) * outArea));
        }

        public void Linear(long inputs, long outputs) => Params(checked(inputs * outputs + outputs));

        public void Norm(int channels) => Params(2L * channels);

        public void ResBlock(int dims, int cin, int cout, int embedding, bool scaleShift, long area)
        {
            Norm(cin);
            Conv(dims, cin, cout, 3, area);
            if (embedding > 0) Linear(embedding, scaleShift ? 2L * cout : cout);
            Norm(cout);
            Conv(dims, cout, cout, 3, area);
            if (cin != cout) Conv(dims, cin, cout, 1, area);
            Kept(checked(((long)cin + cout) * area), 3);
        }

        public void Attention(int channels, int heads, long area)
        {
            Norm(channels);
            for (int i = 0; i < 4; i++) Linear(channels, channels);
            Kept(checked(channels * area), 6);
            Kept(checked(heads * area * area), 2);
        }

        static long Pow(int kernel, int dims) => dims == 2 ? (long)kernel * kernel : kernel;
    }

    /// <summary>The feature backbone: an MLP from the images' pixels through backbone.hidden.</summary>
    public static MemoryEstimate Backbone(BackboneConfig c, int pixels, int batch)
    {
        checked
        {
            var w = new Walk(batch);
            long inputs = pixels;
            foreach (int width in c.Hidden)
            {
                w.Linear(inputs, width);
                w.Kept(width, 3);
                inputs = width;
            }
            return new("the feature backbone", "backbone.hidden", w.Parameters, w.Activations, w.Largest, 0);
        }
    }

    public static MemoryEstimate UNet(UNetConfig c, int batch)
    {
        checked
        {
            var w = new Walk(batch);
            int mc = c.ModelChannels, emb = 4 * mc;
            w.Linear(mc, emb);
            w.Linear(emb, emb);
            if (c.ClassCount > 0) w.Params((long)(c.ClassCount + 1) * emb);
            if (c.ConditionVectorLength > 0) w.Linear(c.ConditionVectorLength, emb);
            int dims = c.Dims;
            long Area(int resolution) => dims == 2 ? (long)resolution * resolution : resolution;
            int resolution = c.ImageSize;
            w.Conv(dims, c.InChannels, mc, 3, Area(resolution));
            var skips = new Stack<int>();
            skips.Push(mc);
            int channels = mc;
            for (int level = 0; level < c.ChannelMultipliers.Length; level++)
            {
                for (int r = 0; r < c.ResBlocksPerLevel; r++)
                {
                    int cout = c.ChannelMultipliers[level] * mc;
                    w.ResBlock(dims, channels, cout, emb, c.ScaleShift, Area(resolution));
                    channels = cout;
                    if (c.AttentionResolutions.Contains(resolution)) w.Attention(channels, c.Heads, Area(resolution));
                    skips.Push(channels);
                }
                if (level != c.ChannelMultipliers.Length - 1)
                {
                    resolution /= 2;
                    w.Conv(dims, channels, channels, 3, Area(resolution));
                    skips.Push(channels);
                }
            }
            w.ResBlock(dims, channels, channels, emb, c.ScaleShift, Area(resolution));
            w.Attention(channels, c.Heads, Area(resolution));
            w.ResBlock(dims, channels, channels, emb, c.ScaleShift, Area(resolution));
            for (int level = c.ChannelMultipliers.Length - 1; level >= 0; level--)
            {
                for (int r = 0; r <= c.ResBlocksPerLevel; r++)
                {
                    int cout = c.ChannelMultipliers[level] * mc;
                    w.ResBlock(dims, channels + skips.Pop(), cout, emb, c.ScaleShift, Area(resolution));
                    channels = cout;
                    if (c.AttentionResolutions.Contains(resolution)) w.Attention(channels, c.Heads, Area(resolution));
                    if (level != 0 && r == c.ResBlocksPerLevel)
                    {
                        resolution *= 2;
                        w.Conv(dims, channels, channels, 3, Area(resolution));
                    }
                }
            }
            w.Norm(channels);
            w.Conv(dims, channels, c.OutChannels, 3, Area(resolution));
            return new("the diffusion UNet", "model.unet.modelChannels, model.unet.channelMultipliers, model.unet.imageSize, training.diffusion.batchSize",
                       w.Parameters, w.Activations, w.Largest, 0);
        }
    }

    public static MemoryEstimate Vae(VaeConfig c, int batch, long dataElements)
    {
        checked
        {
            var w = new Walk(batch);
            int dims = c.Dims, inChannels = 1;
            long Area(int extent) => dims == 2 ? (long)extent * extent : extent;
            if (dims == 2)
            {
                w.Linear(c.VectorLength, (long)c.MapSize * c.MapSize);
                w.Linear((long)c.MapSize * c.MapSize, c.VectorLength);
            }
            // Encoder.
            int ch = c.BaseChannels, resolution = c.InputExtent, blockIn = ch;
            w.Conv(dims, inChannels, ch, 3, Area(resolution));
            for (int level = 0; level < c.ChannelMultipliers.Length; level++)
            {
                int blockOut = ch * c.ChannelMultipliers[level];
                for (int r = 0; r < c.ResBlocksPerLevel; r++)
                {
                    w.ResBlock(dims, blockIn, blockOut, 0, false, Area(resolution));
                    blockIn = blockOut;
                    if (c.AttentionResolutions.Contains(resolution)) w.Attention(blockIn, 1, Area(resolution));
                }
                if (level != c.ChannelMultipliers.Length - 1)
                {
                    resolution /= 2;
                    w.Conv(dims, blockIn, blockIn, 3, Area(resolution));
                }
            }
            w.ResBlock(dims, blockIn, blockIn, 0, false, Area(resolution));
            w.Attention(blockIn, 1, Area(resolution));
            w.ResBlock(dims, blockIn, blockIn, 0, false, Area(resolution));
            w.Norm(blockIn);
            w.Conv(dims, blockIn, 2 * c.LatentChannels, 3, Area(resolution));
            w.Conv(dims, 2 * c.LatentChannels, 2 * c.LatentChannels, 1, Area(resolution));
            w.Conv(dims, c.LatentChannels, c.LatentChannels, 1, Area(resolution));
            // Decoder.
            blockIn = ch * c.ChannelMultipliers[^1];
            w.Conv(dims, c.LatentChannels, blockIn, 3, Area(resolution));
            w.ResBlock(dims, blockIn, blockIn, 0, false, Area(resolution));
            w.Attention(blockIn, 1, Area(resolution));
            w.ResBlock(dims, blockIn, blockIn, 0, false, Area(resolution));
            for (int level = c.ChannelMultipliers.Length - 1; level >= 0; level--)
            {
                int blockOut = ch * c.ChannelMultipliers[level];
                for (int r = 0; r <= c.ResBlocksPerLevel; r++)
                {
                    w.ResBlock(dims, blockIn, blockOut, 0, false, Area(resolution));
                    blockIn = blockOut;
                    if (c.AttentionResolutions.Contains(resolution)) w.Attention(blockIn, 1, Area(resolution));
                }
                if (level != 0)
                {
                    resolution *= 2;
                    w.Conv(dims, blockIn, blockIn, 3, Area(resolution));
                }
            }
            w.Norm(blockIn);
            w.Conv(dims, blockIn, inChannels, 3, Area(resolution));
            return new("the weight VAE", "model.vae.vectorLength, model.vae.mapSize, model.vae.baseChannels, model.vae.channelMultipliers, training.vae.batchSize",
                       w.Parameters, w.Activations, w.Largest, dataElements);
        }
    }

    public static MemoryEstimate Encoder(DatasetEncoderConfig c, int batch, int supportPerClass, int classes)
    {
        checked
        {
            var w = new Walk(batch);
            int f = c.FeatureLength, h = c.Hidden;
            const string fields = "model.datasetEncoder.hidden, model.datasetEncoder.featureLength, model.datasetEncoder.outputLength, training.encoder.batchSize";
            if (c.Kind == "mlp")
            {
                w.Linear((long)c.MaxClasses * f, 4L * h);
                w.Linear(4L * h, c.OutputLength);
                w.Kept((long)c.MaxClasses * f + 4L * h + c.OutputLength, 2);
                return new("the dataset encoder", fields, w.Parameters, w.Activations, w.Largest, 0);
            }
            long set = (long)classes * supportPerClass;
            void Mab(int q, int k, int v, long rows)
            {
                w.Linear(q, v);
                w.Linear(k, v);
                w.Linear(k, v);
                w.Linear(v, v);
                w.Norm(v);
                w.Norm(v);
                w.Kept(rows * v, 8);
                w.Kept((long)c.Heads * rows * Math.Max(rows, c.InducingPoints), 2);
            }
            void Isab(int dimIn, int dimOut, long rows)
            {
                w.Params((long)c.InducingPoints * dimOut);
                Mab(dimOut, dimIn, dimOut, rows);
                Mab(dimIn, dimOut, dimOut, rows);
            }
            Isab(f, h, set);
            Isab(h, h, set);
            w.Params(h);
            Mab(h, h, h, classes);
            Mab(h, h, h, classes);
            Mab(h, h, h, classes);
            w.Linear(h, f);
            w.Params((long)c.MaxClasses * f);
            Isab(f, h, classes);
            Isab(h, h, classes);
            w.Linear((long)c.MaxClasses * h, c.OutputLength);
            return new("the dataset encoder", fields, w.Parameters, w.Activations, w.Largest, 0);
        }
    }

    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("F1", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("F1", CultureInfo.InvariantCulture) + " MiB",
        _ => (bytes / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " KiB",
    };
}

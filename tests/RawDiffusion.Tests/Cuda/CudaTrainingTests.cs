using RawDiffusion.Backends;
using RawDiffusion.Data;
using RawDiffusion.Nn;
using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Tests.Cuda;

/// <summary>End to end: the same networks, started from the same weights, trained for twenty AdamW steps on the same
/// real Fashion-MNIST batches on the CPU and on the GPU, report the same losses within float32 tolerance. Together
/// these reach convolution (im2col, cuBLAS, col2im), max pooling, attention (batched GEMMs, softmax rows), layer and
/// group norm, GELU, cross-entropy (log-softmax, NLL) and the fused optimizer. Skipped without a GPU.</summary>
[Collection(CudaDeviceCollection.Name)]
public class CudaTrainingTests(CudaDeviceFixture fixture)
{
    const int Steps = 20, BatchSize = 32, Batches = 5;

    static readonly Lazy<(float[] Pixels, int[] Labels)[]> batches = new(() =>
    {
        var train = Datasets.FashionMnist(Split.Train);
        return [.. Enumerable.Range(0, Batches).Select(b =>
        {
            var pixels = new float[BatchSize * train.PixelsPerImage];
            var labels = new int[BatchSize];
            train.GetBatch(b * BatchSize, BatchSize, pixels, labels);
            return (pixels, labels);
        })];
    });

    [Fact]
    public void ASmallCnnTrainsToTheSameLossesOnBothBackends() =>
        AssertSameLosses(backend => Cnn(backend, new Generator(3)), learningRate: 2e-3, "CNN");

    [Fact]
    public void ASmallAttentionModelTrainsToTheSameLossesOnBothBackends() =>
        AssertSameLosses(backend => new TinyAttentionClassifier(backend, new Generator(4)), learningRate: 2e-3, "attention model");

    void AssertSameLosses(Func<IBackend, Layer> build, double learningRate, string what)
    {
        var gpu = fixture.RequireBackend();
        using var cpuModel = build(Backend.Cpu);
        using var gpuModel = build(gpu);
        gpuModel.LoadStateDict(cpuModel.StateDict());
        var cpuLosses = Train(cpuModel, Backend.Cpu, learningRate);
        var gpuLosses = Train(gpuModel, gpu, learningRate);
        Assert.True(cpuLosses[^1] < cpuLosses[0], $"{what}: the CPU run did not learn ({cpuLosses[0]} -> {cpuLosses[^1]})");
        // The first loss comes from identical weights; later ones from weights that drift apart by rounding, which
        // Adam's normalised steps keep small over twenty steps.
        Assert.True(Math.Abs(gpuLosses[0] - cpuLosses[0]) <= 1e-4 * Math.Abs(cpuLosses[0]),
            $"{what}: first loss {gpuLosses[0]:R} on the GPU, {cpuLosses[0]:R} on the CPU");
        for (int step = 1; step < Steps; step++)
            Assert.True(Math.Abs(gpuLosses[step] - cpuLosses[step]) <= 2e-3 * Math.Abs(cpuLosses[step]) + 1e-4,
                $"{what}: step {step} loss {gpuLosses[step]:R} on the GPU, {cpuLosses[step]:R} on the CPU; all CPU losses " +
                $"[{string.Join(", ", cpuLosses.Select(l => l.ToString("F5")))}], GPU [{string.Join(", ", gpuLosses.Select(l => l.ToString("F5")))}]");
    }

    static double[] Train(Layer model, IBackend backend, double learningRate)
    {
        using var optimizer = new AdamW(model.Parameters(), learningRate, weightDecay: 1e-2);
        var losses = new double[Steps];
        for (int step = 0; step < Steps; step++)
        {
            using var scope = DisposeScope.Enter();
            var (pixels, labels) = batches.Value[step % Batches];
            var x = Tensor.FromSpan<float>(pixels, [BatchSize, 1, 28, 28], DType.Float32, backend);
            var y = Tensor.FromSpan<int>(labels, [BatchSize], DType.Int32, backend);
            var loss = F.CrossEntropy(model.Forward(x), y);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            losses[step] = loss.Item();
        }
        return losses;
    }

    /// <summary>ImageClassifiers.Cnn(28, [16, 32], 10) built on a given backend: two 3x3 conv–ReLU–maxpool stages and a
    /// linear layer.</summary>
    static Sequential Cnn(IBackend backend, Generator generator)
    {
        var net = new Sequential();
        int inChannels = 1, size = 28;
        foreach (var channels in new[] { 16, 32 })
        {
            net.Add(new Conv(2, inChannels, channels, 3, padding: 1, generator: generator, backend: backend))
               .Add(new Activation("relu", F.Relu))
               .Add(new Activation("maxpool2", x => F.MaxPool2d(x, 2)));
            inChannels = channels;
            size /= 2;
        }
        return net.Add(new Activation("flatten", x => x.Reshape(x.Shape[0], -1)))
                  .Add(new Linear(inChannels * size * size, 10, generator: generator, backend: backend));
    }

    /// <summary>A vision transformer in miniature: 4x4 patches embedded to 32 features, one pre-norm multi-head
    /// self-attention block with a residual, group norm and GELU over the token features, mean pooling, a linear head.</summary>
    sealed class TinyAttentionClassifier : Layer
    {
        const int Patch = 4, Features = 32, Heads = 4;

        readonly Linear embed, query, key, value, output, head;
        readonly LayerNorm norm;
        readonly GroupNorm groupNorm;

        public TinyAttentionClassifier(IBackend backend, Generator generator)
        {
            embed = RegisterModule("embed", new Linear(Patch * Patch, Features, generator: generator, backend: backend));
            norm = RegisterModule("norm", new LayerNorm(Features, backend: backend));
            query = RegisterModule("q", new Linear(Features, Features, generator: generator, backend: backend));
            key = RegisterModule("k", new Linear(Features, Features, generator: generator, backend: backend));
            value = RegisterModule("v", new Linear(Features, Features, generator: generator, backend: backend));
            output = RegisterModule("proj_out", new Linear(Features, Features, generator: generator, backend: backend));
            groupNorm = RegisterModule("group_norm", new GroupNorm(4, Features, backend: backend));
            head = RegisterModule("head", new Linear(Features, 10, generator: generator, backend: backend));
        }

        public override Tensor Forward(Tensor input)
        {
            int b = input.Shape[0], side = input.Shape[2] / Patch;
            var patches = input.Reshape(b, side, Patch, side, Patch).Permute(0, 1, 3, 2, 4).Reshape(b, side * side, Patch * Patch);
            var tokens = embed.Forward(patches);
            var attended = F.MultiHeadAttention(norm.Forward(tokens), null, query.Weight, key.Weight, value.Weight, output.Weight, Heads,
                query.Bias, key.Bias, value.Bias, output.Bias);
            var features = F.Gelu(groupNorm.Forward((tokens + attended).Transpose(1, 2)));
            return head.Forward(features.Mean(2));
        }
    }
}

using RawDiffusion.Data;
using RawDiffusion.Models;
using RawDiffusion.Nn;
using RawDiffusion.Training;
using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Tests.Models;

/// <summary>The weight VAE on real weights: a zoo of classifiers trained on real Fashion-MNIST images, flattened to
/// vectors, z-scored per position; the VAE's reconstructions, loaded back into the networks, must classify held-out
/// images almost as well as the originals.</summary>
public class VaeReconstructionTests
{
    static Sequential Classifier(Generator g) => new(
        new Activation("pool4", x => F.AvgPool2d(x, 4)),
        new Activation("flatten", x => x.Reshape(x.Shape[0], -1)),
        new Linear(49, 16, generator: g), new Activation("relu", F.Relu), new Linear(16, 10, generator: g));

    static float[] Flatten(Module m) => m.Parameters().SelectMany(p => p.ToFloat32Array()).ToArray();

    static void Load(Module m, ReadOnlySpan<float> vector)
    {
        int offset = 0;
        foreach (var p in m.Parameters())
        {
            p.CopyFrom(Tensor.FromArray(vector.Slice(offset, (int)p.Numel).ToArray(), p.ShapeArray));
            offset += (int)p.Numel;
        }
    }

    [Fact]
    public void ReconstructedNetworksLoseAtMostOnePointOfAccuracy()
    {
        var train = Datasets.FashionMnist(Split.Train);
        var test = Datasets.FashionMnist(Split.Test);
        const int zooSize = 12;
        var vectors = new List<float[]>();
        var accuracies = new List<double>();
        for (int i = 0; i < zooSize; i++)
        {
            var net = Classifier(new Generator((ulong)(100 + i)));
            ClassifierTraining.Train(net, train.TakePerClass(400, i), null, new ClassifierTrainingOptions { Epochs = 2, BatchSize = 64, LearningRate = 5e-3, Seed = (ulong)i });
            vectors.Add(Flatten(net));
            accuracies.Add(ClassifierTraining.Accuracy(net, test));
        }
        int length = vectors[0].Length;

        // Per-position z-scores: weights of different layers live on very different scales.
        var mean = new float[length];
        var std = new float[length];
        for (int j = 0; j < length; j++)
        {
            mean[j] = vectors.Average(v => v[j]);
            std[j] = MathF.Max(1e-3f, MathF.Sqrt(vectors.Average(v => (v[j] - mean[j]) * (v[j] - mean[j]))));
        }
        var normalized = vectors.SelectMany(v => v.Select((x, j) => (x - mean[j]) / std[j])).ToArray();
        var data = Tensor.FromArray(normalized, zooSize, length);

        var vae = new WeightVae(new VaeConfig
        {
            VectorLength = length, Dims = 2, MapSize = 16, BaseChannels = 16, ChannelMultipliers = [1, 2], ResBlocksPerLevel = 1,
            LatentChannels = 4, Beta = 1e-6,
        }, new Generator(7));
        var optimizer = new AdamW(vae.Parameters(), 2e-3, weightDecay: 0);
        var generator = new Generator(8);
        for (int step = 0; step < 600; step++)
        {
            using var scope = DisposeScope.Enter();
            if (step == 400) optimizer.LearningRate = 5e-4;
            var loss = vae.Loss(data, vae.Forward(data, generator)).Total;
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }

        vae.Eval();
        float[] reconstructed;
        using (GradMode.NoGrad()) reconstructed = vae.Forward(data).Reconstruction.ToFloat32Array();
        var drops = new double[zooSize];
        for (int i = 0; i < zooSize; i++)
        {
            var vector = new float[length];
            for (int j = 0; j < length; j++) vector[j] = reconstructed[i * length + j] * std[j] + mean[j];
            var net = Classifier(new Generator(0));
            Load(net, vector);
            drops[i] = accuracies[i] - ClassifierTraining.Accuracy(net, test);
        }
        Assert.True(accuracies.Min() > 0.6, $"the zoo itself should classify well, worst {accuracies.Min():P1}");
        Assert.True(drops.Average() <= 0.01, $"mean accuracy drop {drops.Average():P2} > 1 point (drops: {string.Join(", ", drops.Select(d => d.ToString("P1")))})");
        Assert.True(drops.Max() <= 0.02, $"worst accuracy drop {drops.Max():P2} > 2 points");
    }
}

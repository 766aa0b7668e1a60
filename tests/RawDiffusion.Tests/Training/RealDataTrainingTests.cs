using RawDiffusion.Data;
using RawDiffusion.Models;
using RawDiffusion.Training;

namespace RawDiffusion.Tests.Training;

/// <summary>End-to-end checks of the whole engine: networks trained through it on the committed real Fashion-MNIST
/// subset (16,000 training and 4,000 test images) must classify held-out images well.</summary>
public class RealDataTrainingTests
{
    [Fact]
    public void MlpReachesAtLeast85PercentOnFashionMnist()
    {
        var train = Datasets.FashionMnist(Split.Train);
        var test = Datasets.FashionMnist(Split.Test);
        var model = ImageClassifiers.Mlp(784, [256, 128], 10, new Generator(1));
        var results = ClassifierTraining.Train(model, train, test, new ClassifierTrainingOptions { Epochs = 8, BatchSize = 128, LearningRate = 1e-3, Seed = 1 });
        Assert.True(results[^1].TrainLoss < results[0].TrainLoss, "training loss did not decrease");
        Assert.True(results[^1].TestAccuracy >= 0.85, $"MLP test accuracy {results[^1].TestAccuracy:P2} < 85%");
    }

    [Fact]
    public void SmallCnnReachesAtLeast85PercentOnFashionMnist()
    {
        var train = Datasets.FashionMnist(Split.Train);
        var test = Datasets.FashionMnist(Split.Test);
        var model = ImageClassifiers.Cnn(28, [16, 32], 10, new Generator(2));
        var results = ClassifierTraining.Train(model, train, test, new ClassifierTrainingOptions { Epochs = 3, BatchSize = 64, LearningRate = 2e-3, Seed = 2 });
        Assert.True(results[^1].TestAccuracy >= 0.85, $"CNN test accuracy {results[^1].TestAccuracy:P2} < 85%");
    }

    [Fact]
    public void TheZooCnnHas2464Parameters()
    {
        Assert.Equal(2464, ImageClassifiers.ZooCnn().ParameterCount);
        var x = Tensor.Zeros([2, 1, 28, 28]);
        Assert.Equal([2, 10], ImageClassifiers.ZooCnn().Forward(x).ShapeArray);
    }
}

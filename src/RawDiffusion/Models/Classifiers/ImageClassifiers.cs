using RawDiffusion.Nn;

namespace RawDiffusion.Models;

/// <summary>Small image classifiers over [B, 1, H, W] inputs: the networks a weight zoo is made of.</summary>
public static class ImageClassifiers
{
    static Layer Flatten() => new Activation("flatten", x => x.Reshape(x.Shape[0], -1));

    /// <summary>Flatten, then Linear–ReLU layers of the given widths, then a Linear layer to the classes.</summary>
    public static Sequential Mlp(int inputs, int[] hidden, int classes, Generator? generator = null)
    {
        var net = new Sequential(Flatten());
        int width = inputs;
        foreach (var h in hidden)
        {
            net.Add(new Linear(width, h, generator: generator)).Add(new Activation("relu", F.Relu));
            width = h;
        }
        return net.Add(new Linear(width, classes, generator: generator));
    }

    /// <summary>Two 3x3 conv–ReLU–maxpool stages (padding 1, so 28 -> 14 -> 7) and a Linear layer to the classes.</summary>
    public static Sequential Cnn(int imageSize, int[] channels, int classes, Generator? generator = null)
    {
        var net = new Sequential();
        int inChannels = 1, size = imageSize;
        foreach (var c in channels)
        {
            net.Add(new Conv(2, inChannels, c, 3, padding: 1, generator: generator))
               .Add(new Activation("relu", F.Relu))
               .Add(new Activation("maxpool2", x => F.MaxPool2d(x, 2)));
            inChannels = c;
            size /= 2;
        }
        return net.Add(Flatten()).Add(new Linear(inChannels * size * size, classes, generator: generator));
    }

    /// <summary>The Model Zoos CNN for 28x28 grayscale images (Schürholt et al.): conv 5x5 (8) – maxpool – tanh,
    /// conv 5x5 (6) – maxpool – tanh, conv 2x2 (4) – tanh, Linear 36 -> 20 – tanh, Linear 20 -> classes:
    /// 2,464 parameters for 10 classes, the zoo D2NWG's small-CNN experiments generate.</summary>
    public static Sequential ZooCnn(int classes = 10, Generator? generator = null) => new(
        new Conv(2, 1, 8, 5, generator: generator), new Activation("maxpool2", x => F.MaxPool2d(x, 2)), new Activation("tanh", F.Tanh),
        new Conv(2, 8, 6, 5, generator: generator), new Activation("maxpool2", x => F.MaxPool2d(x, 2)), new Activation("tanh", F.Tanh),
        new Conv(2, 6, 4, 2, generator: generator), new Activation("tanh", F.Tanh),
        Flatten(),
        new Linear(36, 20, generator: generator), new Activation("tanh", F.Tanh),
        new Linear(20, classes, generator: generator));
}

using RawDiffusion.Models;
using RawDiffusion.Nn;
using RawDiffusion.Training;

namespace RawDiffusion.Tasks;

/// <summary>
/// A frozen feature extractor trained with our engine on data disjoint from the zoo's tasks: an MLP over pixels
/// (Linear–ReLU per hidden width, the last width being the feature length), trained as a classifier with a
/// temporary linear layer that is then dropped. Its features are what the zoo's heads, the dataset encoder and
/// evaluation see.
/// </summary>
public sealed class FeatureBackbone : IDisposable
{
    readonly Sequential network; // flatten, (Linear, ReLU) per width, final Linear to the training classes

    FeatureBackbone(Sequential network, int inputs, int[] widths)
    {
        this.network = network;
        Inputs = inputs;
        Widths = widths;
    }

    public int Inputs { get; }
    public int[] Widths { get; }
    public int FeatureLength => Widths[^1];

    /// <summary>Layers of the network that make the features: everything but the temporary classification layer.</summary>
    int FeatureLayers => network.Count - 1;

    public static FeatureBackbone Train(FeatureSet images, int[] widths, ClassifierTrainingOptions options, Action<EpochResult>? onEpoch = null)
    {
        if (widths.Length == 0) throw new ArgumentException("a backbone needs at least one hidden width", nameof(widths));
        var network = ImageClassifiers.Mlp(images.FeatureLength, widths, images.ClassCount, new Generator(options.Seed));
        ClassifierTraining.Train(network, images, null, options, onEpoch);
        return new FeatureBackbone(network, images.FeatureLength, widths);
    }

    /// <summary>Features of every row of <paramref name="images"/>, with the same labels and class names.</summary>
    public FeatureSet Extract(FeatureSet images, int batchSize = 1000)
    {
        if (images.FeatureLength != Inputs)
            throw new ArgumentException($"{images.Source}: rows of {images.FeatureLength} values, the backbone takes {Inputs}");
        network.Eval();
        using var _ = GradMode.NoGrad();
        var features = new float[images.Count * FeatureLength];
        var indices = Enumerable.Range(0, images.Count).ToArray();
        for (int s = 0; s < images.Count; s += batchSize)
        {
            int n = Math.Min(batchSize, images.Count - s);
            using var scope = DisposeScope.Enter();
            var (x, _) = images.Batch(indices.AsSpan(s, n));
            for (int l = 0; l < FeatureLayers; l++) x = network[l].Forward(x);
            x.ToArray<float>().CopyTo(features.AsSpan(s * FeatureLength));
        }
        return new FeatureSet(features, images.Labels, [FeatureLength], images.ClassNames, $"{images.Source} (backbone features)");
    }

    const string FormatKey = "backbone_format", FormatValue = "rawdiffusion-backbone/1", InputsKey = "inputs", WidthsKey = "widths", ClassesKey = "classes";

    public void Save(string path) => Checkpoint.Save(path, network, metadata: new Dictionary<string, string>
    {
        [FormatKey] = FormatValue,
        [InputsKey] = Inputs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [WidthsKey] = string.Join(",", Widths),
        [ClassesKey] = network[FeatureLayers].StateDict().First(kv => kv.Key == "bias").Value.Shape[0].ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    public static FeatureBackbone Load(string path)
    {
        using var file = IO.SafeTensorsFile.Open(path);
        string Field(string key) => file.Metadata.TryGetValue(key, out var v) ? v : throw new FormatException($"{path}: metadata field \"{key}\" is missing; not a backbone file");
        if (Field(FormatKey) != FormatValue) throw new FormatException($"{path}: metadata field \"{FormatKey}\" is \"{Field(FormatKey)}\", expected \"{FormatValue}\"");
        int Int(string s, string key) => int.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0 ? v : throw new FormatException($"{path}: metadata field \"{key}\" holds \"{s}\", not a positive integer");
        int inputs = Int(Field(InputsKey), InputsKey), classes = Int(Field(ClassesKey), ClassesKey);
        var widths = Field(WidthsKey).Split(',').Select(w => Int(w, WidthsKey)).ToArray();
        file.Dispose();
        var network = ImageClassifiers.Mlp(inputs, widths, classes, new Generator(0));
        Checkpoint.Load(path, network);
        return new FeatureBackbone(network, inputs, widths);
    }

    public void Dispose() => network.Dispose();
}

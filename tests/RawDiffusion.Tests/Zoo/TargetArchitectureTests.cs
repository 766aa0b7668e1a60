using RawDiffusion.Data;
using RawDiffusion.Tasks;
using RawDiffusion.Training;
using RawDiffusion.Tests.IO;
using RawDiffusion.Zoo;

namespace RawDiffusion.Tests.Zoo;

public class TargetArchitectureTests
{
    static string ArchitecturesFolder =>
        Path.Combine(DataLocator.FindRepositoryRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("repository not found"), "configs", "architectures");

    [Theory]
    [InlineData("linear-head", 64 * 5 + 5)]
    [InlineData("two-layer-head", 64 * 32 + 32 + 32 * 5 + 5)]
    [InlineData("mlp", 784 * 32 + 32 + 32 * 10 + 10)]
    [InlineData("zoo-cnn", 2464)]
    public void ShippedJsonFilesAreTheBuiltInsWithTheirParameterCounts(string name, long parameters)
    {
        var file = TargetArchitecture.Resolve(Path.Combine(ArchitecturesFolder, name + ".json"));
        Assert.Equal(TargetArchitecture.BuiltIn[name].ToJson(), file.ToJson());
        Assert.Equal(parameters, file.ParameterCount);
        using var model = file.Build(new Generator(1));
        Assert.Equal(parameters, model.ParameterCount);
        Assert.Equal(model.StateDict().Keys, file.Tensors.Select(t => t.Name));
    }

    [Theory]
    [InlineData("""{"name":"a","kind":"mlp","inputs":4,"classes":3,"depth":2}""", "depth")]
    [InlineData("""{"name":"a","kind":"resnet","inputs":4,"classes":3}""", "kind")]
    [InlineData("""{"name":"a","kind":"mlp","inputs":4,"classes":1}""", "classes")]
    [InlineData("""{"name":"","kind":"mlp","inputs":4,"classes":3}""", "name")]
    [InlineData("""{"name":"a","kind":"mlp","inputs":0,"classes":3}""", "inputs")]
    [InlineData("""{"name":"a","kind":"zoo-cnn","inputs":1024,"imageSize":32,"classes":3}""", "imageSize")]
    [InlineData("""{"name":"a","kind":"cnn","inputs":784,"imageSize":28,"classes":3}""", "channels")]
    public void BadJsonIsRejectedNamingTheSourceAndField(string json, string field)
    {
        var e = Assert.Throws<FormatException>(() => TargetArchitecture.Parse(json, "arch.json"));
        Assert.Contains("arch.json", e.Message);
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void UnknownNameOrMissingFileIsReported()
    {
        var e = Assert.Throws<FileNotFoundException>(() => TargetArchitecture.Resolve("no-such-architecture"));
        Assert.Contains("linear-head", e.Message);
    }

    [Fact]
    public void LoadChecksNamesAndLengths()
    {
        var a = TargetArchitecture.BuiltIn["linear-head"];
        var good = a.Tensors.ToDictionary(t => t.Name, t => new float[t.Numel]);
        Assert.Contains("\"1.bias\" of architecture \"linear-head\" is missing", Assert.Throws<FormatException>(() => a.Load(good.Where(kv => kv.Key != "1.bias").ToDictionary(), "w.safetensors")).Message);
        var shortWeight = new Dictionary<string, float[]>(good) { ["1.weight"] = new float[10] };
        Assert.Contains("1.weight", Assert.Throws<FormatException>(() => a.Load(shortWeight, "w.safetensors")).Message);
        var extra = new Dictionary<string, float[]>(good) { ["2.weight"] = new float[1] };
        Assert.Contains("\"2.weight\" is not part", Assert.Throws<FormatException>(() => a.Load(extra, "w.safetensors")).Message);
    }

    /// <summary>One call from a (padded) weight vector to a network that computes what the original did, on real data.</summary>
    [Fact]
    public void LoadVectorRebuildsTheNetworkFromAPaddedVector()
    {
        var a = TargetArchitecture.BuiltIn["mlp"] with { Hidden = [16], Classes = 10 };
        var test = FeatureSet.FromImages(Datasets.FashionMnist(Split.Test)).Select(Enumerable.Range(0, 300).ToArray());
        using var original = a.Build(new Generator(5));
        var tensors = TargetArchitecture.ReadTensors(original);
        var vector = a.Tensors.SelectMany(t => tensors[t.Name]).Concat(new float[7]).ToArray();
        using var rebuilt = a.LoadVector(vector);
        using var scope = DisposeScope.Enter();
        var (x, _) = test.Batch(Enumerable.Range(0, test.Count).ToArray());
        Assert.Equal(original.Forward(x).ToArray<float>(), rebuilt.Forward(x).ToArray<float>());
        Assert.Equal(ClassifierTraining.Accuracy(original, test), ClassifierTraining.Accuracy(rebuilt, test));
        Assert.Contains("parameters", Assert.Throws<ArgumentException>(() => a.LoadVector(vector.AsSpan(0, 100))).Message);
    }

    [Fact]
    public void WeightsFileRoundTripsAndNamesProblems()
    {
        using var folder = new TempFolder();
        var a = TargetArchitecture.BuiltIn["two-layer-head"];
        using var model = a.Build(new Generator(3));
        var tensors = TargetArchitecture.ReadTensors(model);
        var path = Path.Combine(folder.Path, "w.safetensors");
        WeightsFile.Save(path, a, tensors, new Dictionary<string, string> { ["task"] = "t" });
        var back = WeightsFile.Load(path, a);
        foreach (var (name, values) in tensors) Assert.Equal(values, back[name]);
        var other = TargetArchitecture.BuiltIn["linear-head"];
        var e = Assert.Throws<FormatException>(() => WeightsFile.Load(path, other));
        Assert.Contains(path, e.Message);
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Contains(path, Assert.Throws<FormatException>(() => WeightsFile.Load(path, a)).Message);
    }
}

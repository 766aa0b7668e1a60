using System.Text.Json;
using System.Text.Json.Serialization;
using RawDiffusion.Models;
using RawDiffusion.Nn;

namespace RawDiffusion.Zoo;

/// <summary>
/// A network the zoo is made of and the diffusion model generates, described as plain JSON (configs/architectures/).
/// Kinds: "mlp" (flatten, Linear–ReLU per hidden width, Linear to the classes; no hidden layer = a linear head,
/// one = a two-layer head on frozen features), "cnn" (ImageClassifiers.Cnn) and "zoo-cnn" (the 2,464-parameter
/// Model Zoos CNN). State-dict keys follow torch.nn.Sequential ("1.weight"), so PyTorch code can build the same
/// network and load a generated file.
/// </summary>
public sealed record TargetArchitecture
{
    public const string MlpKind = "mlp", CnnKind = "cnn", ZooCnnKind = "zoo-cnn";

    /// <summary>The architectures shipped in configs/architectures/, by name.</summary>
    public static IReadOnlyDictionary<string, TargetArchitecture> BuiltIn { get; } = new Dictionary<string, TargetArchitecture>
    {
        ["linear-head"] = new() { Name = "linear-head", Kind = MlpKind, Inputs = 64, Hidden = [], Classes = 5 },
        ["two-layer-head"] = new() { Name = "two-layer-head", Kind = MlpKind, Inputs = 64, Hidden = [32], Classes = 5 },
        ["mlp"] = new() { Name = "mlp", Kind = MlpKind, Inputs = 784, Hidden = [32], Classes = 10 },
        ["zoo-cnn"] = new() { Name = "zoo-cnn", Kind = ZooCnnKind, Inputs = 784, ImageSize = 28, Classes = 10 },
    };

    public string Name { get; init; } = "";
    public string Kind { get; init; } = MlpKind;
    /// <summary>Values per example: feature length for heads, pixels for image networks.</summary>
    public int Inputs { get; init; }
    /// <summary>Hidden widths of an "mlp".</summary>
    public int[] Hidden { get; init; } = [];
    /// <summary>Channels per conv stage of a "cnn".</summary>
    public int[] Channels { get; init; } = [];
    /// <summary>Side of the square single-channel input images of "cnn" and "zoo-cnn".</summary>
    public int ImageSize { get; init; }
    public int Classes { get; init; }

    /// <summary>The same architecture with another number of outputs (a task's class count).</summary>
    public TargetArchitecture WithClasses(int classes) => this with { Classes = classes };

    /// <summary>Shape of one example as the network takes it (after the batch dimension).</summary>
    [JsonIgnore]
    public int[] SampleShape => Kind == MlpKind ? [Inputs] : [1, ImageSize, ImageSize];

    /// <summary>A freshly initialised network (PyTorch's default initialisation, drawn from the generator).</summary>
    public Sequential Build(Generator? generator = null) => Kind switch
    {
        MlpKind => ImageClassifiers.Mlp(Inputs, Hidden, Classes, generator),
        CnnKind => ImageClassifiers.Cnn(ImageSize, Channels, Classes, generator),
        ZooCnnKind => ImageClassifiers.ZooCnn(Classes, generator),
        _ => throw new InvalidOperationException($"architecture \"{Name}\": unknown kind \"{Kind}\""),
    };

    /// <summary>The state-dict tensors in state-dict order (the order model-wise vectors follow).</summary>
    [JsonIgnore]
    public IReadOnlyList<TensorSpec> Tensors
    {
        get
        {
            using var scope = DisposeScope.Enter();
            using var model = Build(new Generator(0));
            return model.StateDict().Select(kv => new TensorSpec(kv.Key, kv.Value.Shape.ToArray())).ToArray();
        }
    }

    [JsonIgnore]
    public long ParameterCount => Tensors.Sum(t => t.Numel);

    /// <summary>Builds the network and loads the named tensors into it (every tensor must be present with its shape).</summary>
    public Sequential Load(IReadOnlyDictionary<string, float[]> tensors, string source = "weights")
    {
        var model = Build(new Generator(0));
        foreach (var spec in Tensors)
        {
            if (!tensors.TryGetValue(spec.Name, out var values))
                throw new FormatException($"{source}: tensor \"{spec.Name}\" of architecture \"{Name}\" is missing");
            if (values.Length != spec.Numel)
                throw new FormatException($"{source}: tensor \"{spec.Name}\" has {values.Length} values, architecture \"{Name}\" needs {spec}");
        }
        foreach (var extra in tensors.Keys.Except(Tensors.Select(t => t.Name)))
            throw new FormatException($"{source}: tensor \"{extra}\" is not part of architecture \"{Name}\"");
        using (DisposeScope.Suspend())
        {
            var state = model.StateDict();
            foreach (var (name, target) in state)
            {
                using var values = Tensor.FromArray(tensors[name], target.Shape.ToArray());
                target.CopyFrom(values);
            }
        }
        return model;
    }

    /// <summary>Builds the network from a model-wise weight vector: the tensors in state-dict order, then any zero
    /// padding (a zoo's vectors are padded to its longest model).</summary>
    public Sequential LoadVector(ReadOnlySpan<float> vector, string source = "weight vector")
    {
        if (vector.Length < ParameterCount)
            throw new ArgumentException($"{source}: {vector.Length} values, architecture \"{Name}\" has {ParameterCount} parameters");
        return Load(WeightVectorizer.ModelWise(Tensors, vector.Length).Unflatten(vector), source);
    }

    /// <summary>The network's tensors as named float arrays.</summary>
    public static Dictionary<string, float[]> ReadTensors(Module model) =>
        model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray<float>());

    static readonly JsonSerializerOptions JsonOptions = new(ModelConfig.JsonOptions);

    /// <summary>An architecture from a JSON file, or a built-in one by name.</summary>
    public static TargetArchitecture Resolve(string nameOrPath)
    {
        if (BuiltIn.TryGetValue(nameOrPath, out var builtIn)) return builtIn;
        if (!File.Exists(nameOrPath))
            throw new FileNotFoundException($"architecture \"{nameOrPath}\" is neither a built-in ({string.Join(", ", BuiltIn.Keys)}) nor an existing JSON file", nameOrPath);
        return Parse(File.ReadAllText(nameOrPath), nameOrPath);
    }

    public static TargetArchitecture Parse(string json, string source = "architecture")
    {
        TargetArchitecture? a;
        try { a = JsonSerializer.Deserialize<TargetArchitecture>(json, JsonOptions); }
        catch (JsonException e) { throw new FormatException($"{source}: {e.Message}", e); }
        if (a == null) throw new FormatException($"{source}: the file holds null, not an architecture object");
        a.Validate(source);
        return a;
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public void Validate(string source = "architecture")
    {
        string Where(string field) => $"{source}: field \"{field}\"";
        if (string.IsNullOrWhiteSpace(Name)) throw new FormatException($"{Where("name")} must be a non-empty name");
        if (Classes < 2) throw new FormatException($"{Where("classes")} must be at least 2 (got {Classes})");
        switch (Kind)
        {
            case MlpKind:
                if (Inputs < 1) throw new FormatException($"{Where("inputs")} must be positive (got {Inputs})");
                if (Hidden.Any(h => h < 1)) throw new FormatException($"{Where("hidden")} widths must be positive");
                break;
            case CnnKind:
            case ZooCnnKind:
                if (ImageSize < 1) throw new FormatException($"{Where("imageSize")} must be positive (got {ImageSize})");
                if (Inputs != ImageSize * ImageSize) throw new FormatException($"{Where("inputs")} must be imageSize^2 = {ImageSize * ImageSize} (got {Inputs})");
                if (Kind == ZooCnnKind && ImageSize != 28) throw new FormatException($"{Where("imageSize")}: zoo-cnn takes 28x28 images (got {ImageSize})");
                if (Kind == CnnKind && (Channels.Length == 0 || Channels.Any(c => c < 1))) throw new FormatException($"{Where("channels")} must list positive widths");
                if (Kind == CnnKind && ImageSize >> Channels.Length < 1) throw new FormatException($"{Where("channels")}: {Channels.Length} pooling stages shrink {ImageSize} below 1");
                break;
            default:
                throw new FormatException($"{Where("kind")}: unknown kind \"{Kind}\" (choose from {MlpKind}, {CnnKind}, {ZooCnnKind})");
        }
    }
}

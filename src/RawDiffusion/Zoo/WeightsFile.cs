using RawDiffusion.IO;

namespace RawDiffusion.Zoo;

/// <summary>
/// A plain state dict of a target architecture in safetensors: what `sample` writes and `eval` reads. Tensor names and
/// shapes are the architecture's (PyTorch: build the same torch.nn.Sequential and
/// <c>model.load_state_dict(safetensors.torch.load_file(path))</c>); the metadata carries the architecture JSON.
/// Its checks of names and shapes are the ones zoo checkpoints and imported state dicts go through too.
/// </summary>
public static class WeightsFile
{
    public const string FormatKey = "format", FormatTag = "rawdiffusion-weights/1", ArchitectureKey = "architecture";

    public static void Save(string path, TargetArchitecture architecture, IReadOnlyDictionary<string, float[]> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { [FormatKey] = FormatTag, [ArchitectureKey] = architecture.ToJson() };
        SafeTensorsWriter.Write(path, Entries(path, architecture, tensors), meta);
    }

    /// <summary>Reads every tensor of the architecture (F32, F16, BF16 or F64, converted to float), checking names and shapes.</summary>
    public static Dictionary<string, float[]> Load(string path, TargetArchitecture architecture)
    {
        using var file = Open(path, path, "weights file");
        return ReadTensors(file, path, architecture);
    }

    /// <summary>The architecture's tensors in state-dict order, ready to write; every tensor must be there with its
    /// size and nothing else (errors name <paramref name="path"/>).</summary>
    internal static SafeTensorEntry[] Entries(string path, TargetArchitecture architecture, IReadOnlyDictionary<string, float[]> tensors)
    {
        var specs = architecture.Tensors;
        foreach (var spec in specs)
        {
            if (!tensors.TryGetValue(spec.Name, out var values))
                throw new ArgumentException($"{path}: tensor \"{spec.Name}\" of architecture \"{architecture.Name}\" is missing", nameof(tensors));
            if (values.Length != spec.Numel)
                throw new ArgumentException($"{path}: tensor \"{spec.Name}\" has {values.Length} values, architecture \"{architecture.Name}\" needs {spec}", nameof(tensors));
        }
        foreach (var extra in tensors.Keys.Except(specs.Select(s => s.Name)))
            throw new ArgumentException($"{path}: tensor \"{extra}\" is not part of architecture \"{architecture.Name}\"", nameof(tensors));
        return specs.Select(s => new SafeTensorEntry(s.Name, s.Shape.Select(d => (long)d).ToArray(), tensors[s.Name])).ToArray();
    }

    /// <summary>Opens a safetensors file, turning a missing or malformed file into an error that starts with <paramref name="where"/>.</summary>
    internal static SafeTensorsFile Open(string path, string where, string what)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{where}: {what} not found", path);
        try { return SafeTensorsFile.Open(path); }
        catch (SafeTensorsFormatException e) { throw new FormatException($"{where}: not a readable {what}: {e.Message}", e); }
    }

    /// <summary>
    /// The architecture's tensors from an open file as float32 (from any float dtype, or F32 only when
    /// <paramref name="float32Only"/>), checking names and shapes; errors start with <paramref name="where"/> and list
    /// what the architecture expects.
    /// </summary>
    internal static Dictionary<string, float[]> ReadTensors(SafeTensorsFile file, string where, TargetArchitecture architecture, bool float32Only = false)
    {
        var specs = architecture.Tensors;
        string expected = $"architecture \"{architecture.Name}\" expects {string.Join(", ", specs)}";
        var tensors = new Dictionary<string, float[]>();
        foreach (var spec in specs)
        {
            if (!file.TryGet(spec.Name, out var info))
                throw new FormatException($"{where}: tensor \"{spec.Name}\" of architecture \"{architecture.Name}\" is missing ({expected}; the file has {string.Join(", ", file.Tensors.Select(t => t.Name))})");
            if (!info.Shape.SequenceEqual(spec.Shape.Select(d => (long)d)))
                throw new FormatException($"{where}: tensor \"{spec.Name}\" has shape [{string.Join(", ", info.Shape)}] ({expected})");
            if (float32Only ? info.DType != SafeTensorDType.F32 : info.DType is not (SafeTensorDType.F32 or SafeTensorDType.F16 or SafeTensorDType.BF16 or SafeTensorDType.F64))
                throw new FormatException($"{where}: tensor \"{spec.Name}\" is {info.DType.HeaderName()}; {(float32Only ? "zoo checkpoints store F32" : "weights must be F32, F16, BF16 or F64")}");
            tensors[spec.Name] = file.ReadFloat32(spec.Name);
        }
        foreach (var extra in file.Tensors.Select(t => t.Name).Except(specs.Select(s => s.Name)))
            throw new FormatException($"{where}: tensor \"{extra}\" is not part of architecture \"{architecture.Name}\" ({expected})");
        return tensors;
    }
}

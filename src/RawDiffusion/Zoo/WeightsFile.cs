using RawDiffusion.IO;

namespace RawDiffusion.Zoo;

/// <summary>
/// A plain state dict of a target architecture in safetensors: what `sample` writes and `eval` reads. Tensor names and
/// shapes are the architecture's (PyTorch: build the same torch.nn.Sequential and
/// <c>model.load_state_dict(safetensors.torch.load_file(path))</c>); the metadata carries the architecture JSON.
/// </summary>
public static class WeightsFile
{
    public const string FormatKey = "format", FormatTag = "rawdiffusion-weights/1", ArchitectureKey = "architecture";

    public static void Save(string path, TargetArchitecture architecture, IReadOnlyDictionary<string, float[]> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { [FormatKey] = FormatTag, [ArchitectureKey] = architecture.ToJson() };
        var entries = architecture.Tensors.Select(spec => new SafeTensorEntry(spec.Name, spec.Shape.Select(d => (long)d).ToArray(),
            tensors.TryGetValue(spec.Name, out var v) ? v : throw new ArgumentException($"{path}: tensor \"{spec.Name}\" of architecture \"{architecture.Name}\" is missing"))).ToArray();
        SafeTensorsWriter.Write(path, entries, meta);
    }

    /// <summary>Reads every tensor of the architecture (F32, F16, BF16 or F64, converted to float), checking names and shapes.</summary>
    public static Dictionary<string, float[]> Load(string path, TargetArchitecture architecture)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: weights file not found", path);
        SafeTensorsFile file;
        try { file = SafeTensorsFile.Open(path); }
        catch (SafeTensorsFormatException e) { throw new FormatException($"{path}: not a readable safetensors file: {e.Message}", e); }
        using (file)
        {
            var tensors = new Dictionary<string, float[]>();
            foreach (var spec in architecture.Tensors)
            {
                if (!file.TryGet(spec.Name, out var info))
                    throw new FormatException($"{path}: tensor \"{spec.Name}\" of architecture \"{architecture.Name}\" is missing (the file has {string.Join(", ", file.Tensors.Select(t => t.Name))})");
                if (!info.Shape.SequenceEqual(spec.Shape.Select(d => (long)d)))
                    throw new FormatException($"{path}: tensor \"{spec.Name}\" has shape [{string.Join(", ", info.Shape)}], architecture \"{architecture.Name}\" needs {spec}");
                tensors[spec.Name] = file.ReadFloat32(spec.Name);
            }
            foreach (var extra in file.Tensors.Select(t => t.Name).Except(architecture.Tensors.Select(s => s.Name)))
                throw new FormatException($"{path}: tensor \"{extra}\" is not part of architecture \"{architecture.Name}\"");
            return tensors;
        }
    }
}

using RawDiffusion.IO;

namespace RawDiffusion.Models.Language;

/// <summary>A model folder in Hugging Face's layout: <c>config.json</c> (LlamaConfig fields) and <c>model.safetensors</c>
/// (float32, state-dict keys as LlamaForCausalLM names them), so <c>LlamaForCausalLM.from_pretrained(folder)</c> loads it.</summary>
public static class LlamaFiles
{
    public const string ConfigFile = "config.json", WeightsFile = "model.safetensors";

    /// <summary>Writes both files into <paramref name="folder"/> (created if needed; each written atomically).</summary>
    public static void Save(string folder, LlamaForCausalLM model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Directory.CreateDirectory(folder);
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { ["format"] = "pt" };
        SafeTensorsWriter.Write(Path.Combine(folder, WeightsFile), Entries(model), meta);
        var json = System.Text.Encoding.UTF8.GetBytes(model.Config.ToJson() + "\n");
        AtomicFile.Write(Path.Combine(folder, ConfigFile), stream => stream.Write(json));
    }

    /// <summary>The state dict as float32 entries in state-dict order.</summary>
    public static SafeTensorEntry[] Entries(LlamaForCausalLM model) =>
        model.StateDict().Select(kv => new SafeTensorEntry(kv.Key, Array.ConvertAll(kv.Value.ShapeArray, d => (long)d), kv.Value.ToFloat32Array())).ToArray();

    /// <summary>Reads the config and the weights of <paramref name="folder"/>; a missing, extra or misshapen tensor is
    /// an error naming the file and the key.</summary>
    public static LlamaForCausalLM Load(string folder)
    {
        string configPath = Path.Combine(folder, ConfigFile), weightsPath = Path.Combine(folder, WeightsFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{configPath}: no config.json in the model folder", configPath);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{weightsPath}: no model.safetensors in the model folder", weightsPath);
        var config = LlamaConfig.FromJson(File.ReadAllText(configPath), configPath);
        var model = new LlamaForCausalLM(config);
        try
        {
            LoadWeights(weightsPath, model);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Copies the tensors of a safetensors file into <paramref name="model"/> (strict: same keys and shapes).</summary>
    public static void LoadWeights(string path, LlamaForCausalLM model)
    {
        using var file = SafeTensorsFile.Open(path);
        var own = model.StateDict();
        var names = file.Tensors.Select(t => t.Name).ToHashSet();
        foreach (var name in names)
            if (!own.ContainsKey(name)) throw new ArgumentException($"{path}: tensor '{name}' is not part of LlamaForCausalLM");
        using var scope = DisposeScope.Enter();
        var state = new Dictionary<string, Tensor>();
        foreach (var (key, target) in own)
        {
            if (!file.TryGet(key, out var info)) throw new ArgumentException($"{path}: tensor '{key}' is missing");
            if (!info.Shape.Select(d => (int)d).SequenceEqual(target.ShapeArray))
                throw new ArgumentException($"{path}: tensor '{key}' has shape [{string.Join(", ", info.Shape)}], the config needs {ShapeMath.Format(target.Shape)}");
            state[key] = Tensor.FromArray(file.ReadFloat32(key), target.ShapeArray);
        }
        model.LoadStateDict(state);
    }
}

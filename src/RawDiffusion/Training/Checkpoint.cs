using System.Globalization;
using System.Text.Json;
using RawDiffusion.IO;
using RawDiffusion.Nn;
using RawDiffusion.Training.Optimizers;

namespace RawDiffusion.Training;

/// <summary>What <see cref="Checkpoint.Load"/> found besides the tensors: the training step and all metadata.</summary>
public sealed record CheckpointInfo(long Step, IReadOnlyDictionary<string, string> Metadata);

/// <summary>Training checkpoints as one safetensors file: the model's parameters and buffers ("model.&lt;name&gt;"), the
/// optimizer's per-parameter buffers ("optim.&lt;name&gt;.exp_avg", ...) and the EMA's averages ("ema.&lt;name&gt;"), with the
/// step, the optimizer's hyper-parameters and step counts and the EMA's settings as JSON in the header's metadata.
/// Tensors are stored as float32. The file is written to a temporary file and renamed over the target, so a save that
/// is interrupted never damages an existing checkpoint. Loading checks every key and shape against the file before
/// changing anything, and names the file and the key in its errors.</summary>
public static class Checkpoint
{
    public const string ModelPrefix = "model.";
    public const string OptimizerPrefix = "optim.";
    public const string EmaPrefix = "ema.";
    public const string FormatKey = "format";
    public const string FormatValue = "rawdiffusion-checkpoint/1";
    public const string StepKey = "step";
    public const string OptimizerKey = "optimizer";
    public const string EmaKey = "ema";

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    sealed record OptimizerMetadata(string Algorithm, long StepCount, Dictionary<string, double> HyperParameters,
                                    List<GroupMetadata> Groups, Dictionary<string, ParameterMetadata> Parameters);

    /// <summary>A parameter group by its parameters' names, so loading can check the grouping matches.</summary>
    sealed record GroupMetadata(double LearningRate, double WeightDecay, List<string> Parameters);

    sealed record ParameterMetadata(long Step, List<string> Buffers);

    sealed record EmaMetadata(double Decay, bool UseWarmup, long NumUpdates);

    /// <summary>Writes <paramref name="model"/> (and the optimizer and EMA when given) to <paramref name="path"/>.
    /// <paramref name="step"/> defaults to the optimizer's step count (0 without one); <paramref name="metadata"/> adds
    /// free-form entries (e.g. the config) under keys other than the reserved ones.</summary>
    public static void Save(string path, Module model, Optimizer? optimizer = null, Ema? ema = null, long? step = null,
                            IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        var header = new Dictionary<string, string>();
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            if (key is FormatKey or StepKey or OptimizerKey or EmaKey)
                throw new ArgumentException($"metadata key '{key}' is reserved for the checkpoint's own entries", nameof(metadata));
            header[key] = value;
        }
        header[FormatKey] = FormatValue;
        header[StepKey] = (step ?? optimizer?.StepCount ?? 0).ToString(CultureInfo.InvariantCulture);

        var entries = new List<SafeTensorEntry>();
        foreach (var (name, tensor) in model.StateDict()) entries.Add(Entry(ModelPrefix + name, tensor));
        if (optimizer != null)
        {
            var names = OptimizerParameterNames(model, optimizer);
            var state = optimizer.StateDict();
            var groups = new List<GroupMetadata>();
            int index = 0;
            foreach (var g in state.Groups)
            {
                groups.Add(new GroupMetadata(g.LearningRate, g.WeightDecay, names.Skip(index).Take(g.ParameterCount).ToList()));
                index += g.ParameterCount;
            }
            var parameters = new Dictionary<string, ParameterMetadata>();
            for (int i = 0; i < names.Length; i++)
            {
                if (state.Parameters[i] is not { } s) continue;
                var buffers = s.Buffers.Keys.Order(StringComparer.Ordinal).ToList();
                parameters[names[i]] = new ParameterMetadata(s.Step, buffers);
                foreach (var buffer in buffers) entries.Add(Entry($"{OptimizerPrefix}{names[i]}.{buffer}", s.Buffers[buffer]));
            }
            header[OptimizerKey] = JsonSerializer.Serialize(
                new OptimizerMetadata(state.Algorithm, state.StepCount, new Dictionary<string, double>(state.HyperParameters), groups, parameters), Json);
        }
        if (ema != null)
        {
            foreach (var (name, average) in ema.StateDict()) entries.Add(Entry(EmaPrefix + name, average));
            header[EmaKey] = JsonSerializer.Serialize(new EmaMetadata(ema.Decay, ema.UseWarmup, ema.NumUpdates), Json);
        }
        SafeTensorsWriter.Write(path, entries, header);
    }

    /// <summary>Loads <paramref name="path"/> into <paramref name="model"/> (and the optimizer and EMA when given; the
    /// file must then hold their state). With <paramref name="strict"/>, the file's "model." keys must match the
    /// model's state dict exactly; otherwise keys missing on either side are skipped. Shapes must always match.
    /// Everything is checked before anything is changed.</summary>
    public static CheckpointInfo Load(string path, Module model, Optimizer? optimizer = null, Ema? ema = null, bool strict = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        using var file = SafeTensorsFile.Open(path);
        string filePath = file.Path;
        if (file.Metadata.TryGetValue(FormatKey, out var format) && format != FormatValue)
            throw new CheckpointException(filePath, $"has format '{format}', expected '{FormatValue}'");
        long step = 0;
        if (file.Metadata.TryGetValue(StepKey, out var stepText) && !long.TryParse(stepText, NumberStyles.Integer, CultureInfo.InvariantCulture, out step))
            throw new CheckpointException(filePath, $"metadata '{StepKey}' is '{stepText}', not an integer");

        // Check everything first.
        var own = model.StateDict();
        var modelKeys = file.Tensors.Select(t => t.Name).Where(n => n.StartsWith(ModelPrefix, StringComparison.Ordinal))
            .Select(n => n[ModelPrefix.Length..]).ToHashSet();
        if (strict)
        {
            var missing = own.Keys.Where(k => !modelKeys.Contains(k)).Select(k => $"'{ModelPrefix}{k}'").ToList();
            var unexpected = modelKeys.Where(k => !own.ContainsKey(k)).Select(k => $"'{ModelPrefix}{k}'").ToList();
            if (missing.Count > 0)
                throw new CheckpointException(filePath, $"missing key(s) {string.Join(", ", missing)} needed by {model.GetType().Name}");
            if (unexpected.Count > 0)
                throw new CheckpointException(filePath, $"unexpected key(s) {string.Join(", ", unexpected)} that {model.GetType().Name} does not have");
        }
        foreach (var (name, tensor) in own)
            if (modelKeys.Contains(name)) CheckShape(file, ModelPrefix + name, tensor);

        // The tensors read for the optimizer and the EMA are copied by their loads and freed with this scope.
        using (DisposeScope.Enter())
        {
            OptimizerState? optimizerState = null;
            if (optimizer != null) optimizerState = ReadOptimizerState(file, model, optimizer);
            Dictionary<string, Tensor>? averages = null;
            long emaUpdates = 0;
            if (ema != null)
            {
                var emaMetadata = Parse<EmaMetadata>(file, EmaKey);
                emaUpdates = emaMetadata.NumUpdates;
                if (emaUpdates < 0) throw new CheckpointException(filePath, $"'{EmaKey}' metadata has a negative update count {emaUpdates}");
                averages = [];
                foreach (var (name, average) in ema.StateDict())
                {
                    CheckShape(file, EmaPrefix + name, average);
                    averages[name] = Read(file, EmaPrefix + name, average);
                }
            }

            // Then apply: the optimizer's load validates its hyper-parameters before it changes anything,
            // so it goes first; the rest was fully checked above.
            try
            {
                if (optimizerState != null) optimizer!.LoadStateDict(optimizerState);
                if (averages != null) ema!.LoadStateDict(averages, emaUpdates);
            }
            catch (ArgumentException e)
            {
                throw new CheckpointException(filePath, e.Message, e);
            }
            using (GradMode.NoGrad())
                foreach (var (name, tensor) in own)
                    if (modelKeys.Contains(name)) TensorValues.Assign(tensor, file.ReadFloat32(ModelPrefix + name));
        }
        return new CheckpointInfo(step, new Dictionary<string, string>(file.Metadata));
    }

    static OptimizerState ReadOptimizerState(SafeTensorsFile file, Module model, Optimizer optimizer)
    {
        var metadata = Parse<OptimizerMetadata>(file, OptimizerKey);
        string algorithm = optimizer.GetType().Name;
        if (metadata.Algorithm != algorithm)
            throw new CheckpointException(file.Path, $"holds {metadata.Algorithm} optimizer state, cannot load it into {algorithm}");
        foreach (var key in optimizer.HyperParameters.Keys)
            if (!metadata.HyperParameters.ContainsKey(key))
                throw new CheckpointException(file.Path, $"{algorithm} hyper-parameter '{key}' is missing from the '{OptimizerKey}' metadata");

        var names = OptimizerParameterNames(model, optimizer);
        var groups = optimizer.ParamGroups;
        if (metadata.Groups.Count != groups.Count)
            throw new CheckpointException(file.Path, $"holds {metadata.Groups.Count} optimizer parameter group(s), the optimizer has {groups.Count}");
        int index = 0;
        for (int g = 0; g < groups.Count; g++)
        {
            var expected = names.Skip(index).Take(groups[g].Parameters.Count).ToList();
            if (!expected.SequenceEqual(metadata.Groups[g].Parameters))
                throw new CheckpointException(file.Path, $"optimizer group {g} holds [{string.Join(", ", metadata.Groups[g].Parameters)}] in the file but [{string.Join(", ", expected)}] in the optimizer");
            index += expected.Count;
        }

        var parameters = new ParameterState?[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            if (!metadata.Parameters.TryGetValue(names[i], out var p)) continue;
            var buffers = new Dictionary<string, Tensor>();
            foreach (var buffer in p.Buffers)
            {
                string key = $"{OptimizerPrefix}{names[i]}.{buffer}";
                CheckShape(file, key, optimizer.Parameters[i]);
                buffers[buffer] = Read(file, key, optimizer.Parameters[i]);
            }
            parameters[i] = new ParameterState(p.Step, buffers);
        }
        var unknown = metadata.Parameters.Keys.Where(k => !names.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new CheckpointException(file.Path, $"holds optimizer state for parameter(s) {string.Join(", ", unknown.Select(k => $"'{k}'"))} that the optimizer does not have");

        return new OptimizerState
        {
            Algorithm = metadata.Algorithm,
            StepCount = metadata.StepCount,
            HyperParameters = metadata.HyperParameters,
            Groups = metadata.Groups.Select(g => new GroupSettings(g.LearningRate, g.WeightDecay, g.Parameters.Count)).ToArray(),
            Parameters = parameters,
        };
    }

    /// <summary>The model's name for each of the optimizer's parameters (it must only hold the model's parameters).</summary>
    static string[] OptimizerParameterNames(Module model, Optimizer optimizer)
    {
        var byTensor = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, p) in model.NamedParameters()) byTensor[p] = name;
        return optimizer.Parameters.Select((p, i) => byTensor.TryGetValue(p, out var name) ? name
            : throw new ArgumentException($"optimizer parameter {i} {ShapeMath.Format(p.Shape)} is not a parameter of {model.GetType().Name}", nameof(optimizer))).ToArray();
    }

    static SafeTensorEntry Entry(string name, Tensor tensor)
    {
        var shape = new long[tensor.Rank];
        for (int d = 0; d < shape.Length; d++) shape[d] = tensor.Shape[d];
        return new SafeTensorEntry(name, shape, tensor.ToFloat32Array());
    }

    static void CheckShape(SafeTensorsFile file, string key, Tensor expected)
    {
        if (!file.TryGet(key, out var info))
            throw new CheckpointException(file.Path, $"missing key '{key}'");
        bool same = info.Shape.Length == expected.Rank;
        for (int d = 0; same && d < expected.Rank; d++) same = info.Shape[d] == expected.Shape[d];
        if (!same)
            throw new CheckpointException(file.Path, $"'{key}' has shape {Shapes.Format(info.Shape)} in the file but {ShapeMath.Format(expected.Shape)} is expected");
    }

    /// <summary>A file tensor as a float32 tensor on <paramref name="like"/>'s backend (disposed with the load's scope).</summary>
    static Tensor Read(SafeTensorsFile file, string key, Tensor like) =>
        Tensor.FromSpan<float>(file.ReadFloat32(key), like.ShapeArray, DType.Float32, like.Backend);

    static T Parse<T>(SafeTensorsFile file, string key)
    {
        if (!file.Metadata.TryGetValue(key, out var json))
            throw new CheckpointException(file.Path, $"has no '{key}' metadata: it was saved without {(key == EmaKey ? "an EMA" : "an optimizer")}");
        try
        {
            return JsonSerializer.Deserialize<T>(json, Json) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new CheckpointException(file.Path, $"'{key}' metadata is not valid: {e.Message}", e);
        }
    }
}

using System.Text;
using System.Text.Json;
using RawDiffusion.IO;

namespace RawDiffusion.Zoo;

/// <summary>
/// Turns a network's named tensors into the flat vectors the VAE and diffusion model learn from, and back.
/// Two layouts (D2NWG uses both): model-wise concatenates every tensor in state-dict order into one vector,
/// zero-padded to a chosen length so architectures of different sizes can share a model; layer-wise cuts each
/// tensor into chunks of a fixed size (the last chunk of a tensor zero-padded) so large networks become a
/// sequence of short samples and no chunk mixes two tensors. Values are copied, never converted, so
/// <see cref="Unflatten"/> returns exactly the bits <see cref="Flatten"/> was given (NaN payloads and -0.0 included).
/// </summary>
public sealed class WeightVectorizer : IEquatable<WeightVectorizer>
{
    /// <summary>The "format" field of the JSON layout, so an unrelated JSON file is not taken for a layout.</summary>
    public const string FormatName = "rawdiffusion-weight-layout";

    const string ModelWiseName = "model-wise", LayerWiseName = "layer-wise";

    readonly TensorSpec[] tensors;
    readonly int chunkSize;
    readonly WeightSegment[] segments;

    WeightVectorizer(WeightLayoutKind kind, TensorSpec[] tensors, int vectorLength, int chunkSize, WeightSegment[] segments)
    {
        Kind = kind;
        this.tensors = tensors;
        VectorLength = vectorLength;
        this.chunkSize = chunkSize;
        this.segments = segments;
        ParameterCount = segments.Sum(s => s.Length);
    }

    /// <summary>
    /// Concatenation of <paramref name="specs"/> in the given (state-dict) order, zero-padded at the end to
    /// <paramref name="padTo"/> values (default: no padding). <paramref name="padTo"/> must be at least the parameter count.
    /// </summary>
    public static WeightVectorizer ModelWise(IReadOnlyList<TensorSpec> specs, int? padTo = null)
    {
        var tensors = ValidateSpecs(specs);
        var segments = new WeightSegment[tensors.Length];
        int offset = 0;
        for (int i = 0; i < tensors.Length; i++)
        {
            int numel = (int)tensors[i].Numel;
            segments[i] = new WeightSegment(i, tensors[i].Name, i, 0, numel, offset);
            offset += numel;
        }
        int length = padTo ?? offset;
        if (length < offset)
            throw new ArgumentException($"padTo = {length} is smaller than the {offset} parameters of the {tensors.Length} tensors", nameof(padTo));
        return new WeightVectorizer(WeightLayoutKind.ModelWise, tensors, length, 0, segments);
    }

    /// <summary>
    /// Each of <paramref name="specs"/> flattened and cut into ceil(numel / <paramref name="chunkSize"/>) chunks,
    /// numbered globally in state-dict order; the vector is the chunks one after another ([ChunkCount, ChunkSize]).
    /// </summary>
    public static WeightVectorizer LayerWise(IReadOnlyList<TensorSpec> specs, int chunkSize)
    {
        if (chunkSize < 1) throw new ArgumentException($"chunkSize must be at least 1 (got {chunkSize})", nameof(chunkSize));
        var tensors = ValidateSpecs(specs);
        long chunkCount = tensors.Sum(t => (t.Numel + chunkSize - 1) / chunkSize);
        if (chunkCount * chunkSize > Array.MaxLength)
            throw new ArgumentException($"{chunkCount} chunks of {chunkSize} values exceed the largest possible vector ({Array.MaxLength} values)", nameof(chunkSize));
        var segments = new WeightSegment[chunkCount];
        int index = 0;
        for (int t = 0; t < tensors.Length; t++)
        {
            int numel = (int)tensors[t].Numel;
            for (int offset = 0; offset < numel; offset += chunkSize, index++)
                segments[index] = new WeightSegment(index, tensors[t].Name, t, offset, Math.Min(chunkSize, numel - offset), index * chunkSize);
        }
        return new WeightVectorizer(WeightLayoutKind.LayerWise, tensors, (int)(chunkCount * chunkSize), chunkSize, segments);
    }

    static TensorSpec[] ValidateSpecs(IReadOnlyList<TensorSpec> specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        if (specs.Count == 0) throw new ArgumentException("the layout needs at least one tensor", nameof(specs));
        var names = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        for (int i = 0; i < specs.Count; i++)
        {
            var spec = specs[i] ?? throw new ArgumentException($"tensor {i} is null", nameof(specs));
            if (string.IsNullOrEmpty(spec.Name)) throw new ArgumentException($"tensor {i} has an empty name", nameof(specs));
            if (!names.Add(spec.Name)) throw new ArgumentException($"tensor \"{spec.Name}\" appears more than once", nameof(specs));
            if (spec.Shape is null || spec.Shape.Any(d => d < 1))
                throw new ArgumentException($"tensor \"{spec.Name}\": every dimension must be at least 1 (shape [{string.Join(", ", spec.Shape ?? [])}])", nameof(specs));
            // Multiplying in long with a cap keeps a huge shape from overflowing into a small positive count.
            long numel = 1;
            foreach (int d in spec.Shape)
            {
                numel *= d;
                if (numel > Array.MaxLength) throw new ArgumentException($"tensor {spec} has more values than an array can hold", nameof(specs));
            }
            total += numel;
            if (total > Array.MaxLength) throw new ArgumentException($"the tensors up to {spec} have more values than an array can hold", nameof(specs));
        }
        return specs.Select(s => new TensorSpec(s.Name, s.Shape.ToArray())).ToArray();
    }

    public WeightLayoutKind Kind { get; }

    /// <summary>The tensors in state-dict order.</summary>
    public IReadOnlyList<TensorSpec> Tensors => tensors;

    /// <summary>Values per model vector, padding included (layer-wise: ChunkCount * ChunkSize).</summary>
    public int VectorLength { get; }

    /// <summary>Values that are weights (the vector minus its padding).</summary>
    public int ParameterCount { get; }

    /// <summary>Where each tensor's values lie in the vector: one segment per tensor (model-wise) or per chunk (layer-wise).</summary>
    public IReadOnlyList<WeightSegment> Segments => segments;

    /// <summary>Values per chunk of a layer-wise layout.</summary>
    public int ChunkSize => Kind == WeightLayoutKind.LayerWise ? chunkSize : throw NotLayerWise(nameof(ChunkSize));

    /// <summary>Chunks of a layer-wise layout.</summary>
    public int ChunkCount => Kind == WeightLayoutKind.LayerWise ? segments.Length : throw NotLayerWise(nameof(ChunkCount));

    /// <summary>The chunks of a layer-wise layout, by global chunk index.</summary>
    public IReadOnlyList<WeightSegment> Chunks => Kind == WeightLayoutKind.LayerWise ? segments : throw NotLayerWise(nameof(Chunks));

    static InvalidOperationException NotLayerWise(string property) =>
        new($"{property} is defined for layer-wise layouts only; this layout is model-wise");

    /// <summary>The model's vector; <paramref name="tensors"/> must hold exactly the layout's tensors with their sizes.</summary>
    public float[] Flatten(IReadOnlyDictionary<string, float[]> tensors)
    {
        var vector = new float[VectorLength];
        FlattenInto(tensors, vector);
        return vector;
    }

    /// <summary>Writes the model's vector into <paramref name="destination"/> (VectorLength values; padding set to zero).</summary>
    public void FlattenInto(IReadOnlyDictionary<string, float[]> tensors, Span<float> destination) =>
        FlattenInto(tensors, destination, "");

    /// <summary>The vectors of several models as one row-major [models.Count, VectorLength] matrix.</summary>
    public float[] FlattenMany(IReadOnlyList<IReadOnlyDictionary<string, float[]>> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        if ((long)models.Count * VectorLength > Array.MaxLength)
            throw new ArgumentException($"{models.Count} models of {VectorLength} values exceed the largest possible array", nameof(models));
        var matrix = new float[models.Count * VectorLength];
        for (int m = 0; m < models.Count; m++)
            FlattenInto(models[m], matrix.AsSpan(m * VectorLength, VectorLength), $"model {m}: ");
        return matrix;
    }

    void FlattenInto(IReadOnlyDictionary<string, float[]> values, Span<float> destination, string where)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (destination.Length != VectorLength)
            throw new ArgumentException($"{where}the destination holds {destination.Length} values, the layout needs {VectorLength}", nameof(destination));
        CheckTensors(values, where);
        destination.Clear();
        foreach (var s in segments)
            values[s.Tensor].AsSpan(s.Offset, s.Length).CopyTo(destination.Slice(s.VectorOffset, s.Length));
    }

    void CheckTensors(IReadOnlyDictionary<string, float[]> values, string where)
    {
        foreach (var spec in tensors)
        {
            if (!values.TryGetValue(spec.Name, out var data) || data is null)
                throw new ArgumentException($"{where}tensor \"{spec.Name}\" ({spec}) is missing", nameof(values));
            if (data.Length != spec.Numel)
                throw new ArgumentException($"{where}tensor \"{spec.Name}\" has {data.Length} values, the layout needs {spec.Numel} ({spec})", nameof(values));
        }
        if (values.Count != tensors.Length)
        {
            var known = tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            var extra = values.Keys.First(k => !known.Contains(k));
            throw new ArgumentException($"{where}tensor \"{extra}\" is not part of the layout ({string.Join(", ", known)})", nameof(values));
        }
    }

    /// <summary>
    /// The tensors <paramref name="vector"/> holds, in state-dict order; the exact inverse of <see cref="Flatten"/>.
    /// Padding positions are not read, so a generated vector with noise in its padding still unflattens.
    /// </summary>
    public Dictionary<string, float[]> Unflatten(ReadOnlySpan<float> vector)
    {
        if (vector.Length != VectorLength)
            throw new ArgumentException($"the vector has {vector.Length} values, the layout ({this}) needs {VectorLength}", nameof(vector));
        var result = new Dictionary<string, float[]>(tensors.Length, StringComparer.Ordinal);
        foreach (var spec in tensors) result[spec.Name] = new float[spec.Numel];
        foreach (var s in segments)
            vector.Slice(s.VectorOffset, s.Length).CopyTo(result[s.Tensor].AsSpan(s.Offset, s.Length));
        return result;
    }

    /// <summary>Marks the positions of a vector that are padding (true) rather than weights.</summary>
    public bool[] PaddingMask()
    {
        var padding = new bool[VectorLength];
        Array.Fill(padding, true);
        foreach (var s in segments) padding.AsSpan(s.VectorOffset, s.Length).Clear();
        return padding;
    }

    /// <summary>The layout as JSON (format, layout, vectorLength or chunkSize, tensors with their shapes).</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", FormatName);
            if (Kind == WeightLayoutKind.ModelWise)
            {
                w.WriteString("layout", ModelWiseName);
                w.WriteNumber("vectorLength", VectorLength);
            }
            else
            {
                w.WriteString("layout", LayerWiseName);
                w.WriteNumber("chunkSize", chunkSize);
            }
            w.WriteStartArray("tensors");
            foreach (var t in tensors)
            {
                w.WriteStartObject();
                w.WriteString("name", t.Name);
                w.WriteStartArray("shape");
                foreach (int d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A layout from <see cref="ToJson"/>'s format; errors name <paramref name="source"/> and the field.</summary>
    public static WeightVectorizer Parse(string json, string source = "layout")
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try { document = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new FormatException($"{source}: not valid JSON ({e.Message})", e); }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException($"{source}: expected a JSON object, found {root.ValueKind}");
            string Where(string field) => $"{source}: field \"{field}\"";
            string layout = "";
            int? vectorLength = null, chunk = null;
            List<TensorSpec>? specs = null;
            string? format = null;
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "format": format = ReadString(property.Value, Where("format")); break;
                    case "layout": layout = ReadString(property.Value, Where("layout")); break;
                    case "vectorLength": vectorLength = ReadInt(property.Value, Where("vectorLength")); break;
                    case "chunkSize": chunk = ReadInt(property.Value, Where("chunkSize")); break;
                    case "tensors": specs = ReadTensors(property.Value, Where("tensors")); break;
                    default: throw new FormatException($"{source}: unknown field \"{property.Name}\" (expected format, layout, vectorLength or chunkSize, tensors)");
                }
            }
            if (format != FormatName) throw new FormatException($"{Where("format")} must be \"{FormatName}\" (got {(format == null ? "nothing" : $"\"{format}\"")})");
            if (specs == null) throw new FormatException($"{Where("tensors")} is missing");
            try
            {
                switch (layout)
                {
                    case ModelWiseName:
                        if (chunk != null) throw new FormatException($"{Where("chunkSize")} belongs to layer-wise layouts, not model-wise");
                        return ModelWise(specs, vectorLength ?? throw new FormatException($"{Where("vectorLength")} is missing"));
                    case LayerWiseName:
                        if (vectorLength != null) throw new FormatException($"{Where("vectorLength")} belongs to model-wise layouts, not layer-wise");
                        return LayerWise(specs, chunk ?? throw new FormatException($"{Where("chunkSize")} is missing"));
                    default:
                        throw new FormatException($"{Where("layout")} must be \"{ModelWiseName}\" or \"{LayerWiseName}\" (got \"{layout}\")");
                }
            }
            catch (ArgumentException e) { throw new FormatException($"{source}: {e.Message}", e); }
        }
    }

    static string ReadString(JsonElement e, string where) =>
        e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new FormatException($"{where} must be a string (found {e.ValueKind})");

    static int ReadInt(JsonElement e, string where) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) ? v : throw new FormatException($"{where} must be a 32-bit integer (found {e})");

    static List<TensorSpec> ReadTensors(JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.Array) throw new FormatException($"{where} must be an array of {{name, shape}} objects");
        var specs = new List<TensorSpec>();
        foreach (var item in e.EnumerateArray())
        {
            string at = $"{where}[{specs.Count}]";
            if (item.ValueKind != JsonValueKind.Object) throw new FormatException($"{at} must be a {{name, shape}} object");
            string? name = null;
            int[]? shape = null;
            foreach (var p in item.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "name": name = ReadString(p.Value, $"{at}.name"); break;
                    case "shape":
                        if (p.Value.ValueKind != JsonValueKind.Array) throw new FormatException($"{at}.shape must be an array of integers");
                        shape = p.Value.EnumerateArray().Select(d => ReadInt(d, $"{at}.shape")).ToArray();
                        break;
                    default: throw new FormatException($"{at}: unknown field \"{p.Name}\" (expected name, shape)");
                }
            }
            specs.Add(new TensorSpec(name ?? throw new FormatException($"{at}.name is missing"),
                                     shape ?? throw new FormatException($"{at}.shape is missing")));
        }
        return specs;
    }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically (beside the models it describes).</summary>
    public void Save(string path) => AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(ToJson())));

    /// <summary>Reads a layout saved by <see cref="Save"/>; errors name the file.</summary>
    public static WeightVectorizer Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"weight layout file \"{path}\" does not exist", path);
        return Parse(File.ReadAllText(path), path);
    }

    public bool Equals(WeightVectorizer? other) =>
        other is not null && Kind == other.Kind && VectorLength == other.VectorLength && chunkSize == other.chunkSize
        && tensors.AsSpan().SequenceEqual(other.tensors);

    public override bool Equals(object? obj) => Equals(obj as WeightVectorizer);

    public override int GetHashCode() => HashCode.Combine(Kind, VectorLength, chunkSize, tensors.Length);

    public override string ToString() => Kind == WeightLayoutKind.ModelWise
        ? $"model-wise, {ParameterCount} parameters in {tensors.Length} tensors padded to {VectorLength}"
        : $"layer-wise, {ParameterCount} parameters in {tensors.Length} tensors as {segments.Length} chunks of {chunkSize}";
}

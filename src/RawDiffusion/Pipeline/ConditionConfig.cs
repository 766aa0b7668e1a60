using System.Text.Json;
using System.Text.Json.Serialization;

namespace RawDiffusion.Pipeline;

/// <summary>
/// What the diffusion UNet is conditioned on (the "condition" section of a pipeline config). <see cref="Kind"/> is one
/// source or a list of them, written as a string or an array of strings:
/// <list type="bullet">
/// <item>"dataset" (the default): the dataset encoder's embedding of a support set (model-wise), or each class row's
/// support prototype (vectors.layout "class-rows");</item>
/// <item>"task-id": a learned embedding per seen task, through the UNet's class-index input (model.unet.classCount =
/// tasks.seen; the extra index is the null task of classifier-free guidance);</item>
/// <item>"text": one description per task (<see cref="TextConditionConfig"/>) as a vector condition;</item>
/// <item>"architecture": a one-hot index of the target architecture (<see cref="ArchitectureCondition"/>), for zoos of
/// several architectures (zoo.architectures); always appended after the other vector parts.</item>
/// </list>
/// Vector conditions (dataset embedding, text) are concatenated in the order listed into the UNet's vector input,
/// whose learned projection (vector_emb) maps them into the timestep embedding. Task ids and text are per task, so
/// they need the model-wise layout.
/// </summary>
public sealed record ConditionConfig
{
    public const string DatasetKind = "dataset", TaskIdKind = "task-id", TextKind = "text", ArchitectureKind = "architecture";
    public static readonly string[] Known = [DatasetKind, TaskIdKind, TextKind, ArchitectureKind];

    [JsonConverter(typeof(KindListConverter))]
    public string[] Kind { get; init; } = [DatasetKind];

    public TextConditionConfig Text { get; init; } = new();

    public bool Has(string kind) => Kind.Contains(kind);

    /// <summary>Whether this is the only condition runs had before condition kinds existed (kept out of stage hashes,
    /// so runs made then still resume).</summary>
    public bool IsDefault => Kind is [DatasetKind] && Text == new TextConditionConfig();

    public string Describe() => string.Join(" + ", Kind);

    /// <summary>Field checks that need no file; <paramref name="layout"/> is vectors.layout.</summary>
    public void Validate(string layout)
    {
        if (Text is null) throw new ArgumentException("condition.text must be an object (e.g. { \"encoder\": \"hashed\", \"hashLength\": 512 })");
        if (Kind is null || Kind.Length == 0) throw new ArgumentException("condition.kind must name at least one condition (\"dataset\", \"task-id\", \"text\" or \"architecture\")");
        foreach (var kind in Kind)
            if (!Known.Contains(kind)) throw new ArgumentException($"condition.kind: unknown condition \"{kind}\" (choose from {string.Join(", ", Known.Select(k => $"\"{k}\""))})");
        if (Kind.Distinct().Count() != Kind.Length) throw new ArgumentException($"condition.kind lists a condition twice ([{string.Join(", ", Kind)}])");
        if (Kind is [ArchitectureKind])
            throw new ArgumentException($"condition.kind [\"{ArchitectureKind}\"] alone does not say which task to generate for: list it with \"{DatasetKind}\", \"{TaskIdKind}\" or \"{TextKind}\"");
        if (layout == ClassRows.Layout && !(Kind is [DatasetKind]))
            throw new ArgumentException($"condition.kind [{string.Join(", ", Kind)}] needs vectors.layout \"{ClassRows.ModelWiseLayout}\": task ids and texts describe a whole task, " +
                                        $"while \"{ClassRows.Layout}\" conditions each class row on its own support prototype");
        Text.Validate(Has(TextKind));
    }

    /// <summary>Reads "kind" as a string or an array of strings, and writes one kind as a string.</summary>
    sealed class KindListConverter : JsonConverter<string[]>
    {
        // Called for null too, so "kind": null gets the message below rather than a null list.
        public override bool HandleNull => true;

        public override string[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.String) return [reader.GetString()!];
            if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("condition.kind must be a string or an array of strings");
            var kinds = new List<string>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.String) throw new JsonException("condition.kind must be a string or an array of strings");
                kinds.Add(reader.GetString()!);
            }
            return kinds.ToArray();
        }

        public override void Write(Utf8JsonWriter writer, string[] value, JsonSerializerOptions options)
        {
            if (value.Length == 1) { writer.WriteStringValue(value[0]); return; }
            writer.WriteStartArray();
            foreach (var v in value) writer.WriteStringValue(v);
            writer.WriteEndArray();
        }
    }
}

/// <summary>
/// How a task's text becomes a vector. "hashed" (built-in): the description (by default the class names in output
/// order, "output 0: Sneaker; output 1: Bag; ...") hashed into <see cref="HashLength"/> values by
/// <see cref="HashedTextEncoder"/>. "embeddings": the user's own vectors (e.g. from a sentence encoder), a .npy file
/// [tasks, D] (<see cref="Embeddings"/>) with one task id per line of <see cref="Tasks"/> naming its rows.
/// </summary>
public sealed record TextConditionConfig
{
    public const string Hashed = "hashed", EmbeddingFile = "embeddings";

    public string Encoder { get; init; } = Hashed;
    public int HashLength { get; init; } = 512;
    public string? Embeddings { get; init; }
    public string? Tasks { get; init; }

    public void Validate(bool used)
    {
        if (Encoder is not (Hashed or EmbeddingFile))
            throw new ArgumentException($"condition.text.encoder must be \"{Hashed}\" or \"{EmbeddingFile}\" (got \"{Encoder}\")");
        if (HashLength < 1) throw new ArgumentException($"condition.text.hashLength must be positive (got {HashLength})");
        if (used && Encoder == EmbeddingFile && (string.IsNullOrEmpty(Embeddings) || string.IsNullOrEmpty(Tasks)))
            throw new ArgumentException($"condition.text.encoder \"{EmbeddingFile}\" needs condition.text.embeddings (a .npy file, one row per task) and condition.text.tasks (the task ids of its rows, one per line)");
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace RawDiffusion.Pipeline;

/// <summary>
/// The "condition" section: what the diffusion UNet is conditioned on. <c>kind</c> is one name or a list of names:
/// "dataset" (the support set through the dataset encoder, or class-row prototypes) and "architecture" (a one-hot index
/// of the target architecture, appended to the vector condition, for zoos of several architectures).
/// </summary>
public sealed record ConditionConfig
{
    public const string Dataset = "dataset", Architecture = "architecture";

    /// <summary>The kinds this build knows.</summary>
    public static readonly string[] Known = [Dataset, Architecture];

    [JsonConverter(typeof(OneOrManyConverter))]
    public string[] Kind { get; init; } = [Dataset];

    public bool Has(string kind) => Kind.Contains(kind);

    public void Validate()
    {
        if (Kind.Length == 0) throw new ArgumentException($"condition.kind must name at least one condition ({string.Join(", ", Known)})");
        foreach (var kind in Kind)
            if (!Known.Contains(kind)) throw new ArgumentException($"condition.kind: unknown condition \"{kind}\" (choose from {string.Join(", ", Known)})");
        if (Kind.Distinct().Count() != Kind.Length) throw new ArgumentException($"condition.kind lists a condition twice ([{string.Join(", ", Kind)}])");
        if (!Has(Dataset)) throw new ArgumentException($"condition.kind must include \"{Dataset}\": it is the condition that says which task to generate for");
    }

    /// <summary>Reads "dataset" or ["dataset", "architecture"]; writes one name as a string, several as a list.</summary>
    sealed class OneOrManyConverter : JsonConverter<string[]>
    {
        public override string[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.String => [reader.GetString()!],
            JsonTokenType.StartArray => JsonSerializer.Deserialize<string[]>(ref reader) is { } kinds && kinds.All(k => k != null) ? kinds
                : throw new JsonException("condition.kind: the list must hold names (strings)"),
            _ => throw new JsonException($"condition.kind must be a name or a list of names, not {reader.TokenType}"),
        };

        public override void Write(Utf8JsonWriter writer, string[] value, JsonSerializerOptions options)
        {
            if (value.Length == 1) writer.WriteStringValue(value[0]);
            else JsonSerializer.Serialize(writer, value);
        }
    }
}

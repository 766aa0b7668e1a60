using System.Text.Json;

namespace RawDiffusion.Tests.IO;

/// <summary>
/// Files written by tools/fixtures/make_io_fixtures.py (numpy and a by-hand safetensors writer)
/// and the exact values they hold, from its expected.json.
/// </summary>
public static class Fixtures
{
    public static string Folder { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures", "io");

    private static readonly Lazy<JsonElement> ExpectedRoot = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder, "expected.json"))).RootElement);

    public static JsonElement Expected => ExpectedRoot.Value;

    public static string PathOf(string relative) => Path.Combine(Folder, relative);

    public static long[] Longs(JsonElement array) => array.EnumerateArray().Select(item => item.GetInt64()).ToArray();

    public static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(item => item.GetDouble()).ToArray();

    public static Dictionary<string, string> Strings(JsonElement obj) =>
        obj.EnumerateObject().ToDictionary(property => property.Name, property => property.Value.GetString()!);
}

using System.Text.Json;

namespace RawDiffusion.IO;

/// <summary>
/// A sharded checkpoint's index file (e.g. model.safetensors.index.json):
/// {"metadata": {...}, "weight_map": {tensor name: shard file name}}. Parsing checks that every
/// shard it names is a file inside the index's folder that exists.
/// </summary>
internal sealed class ShardIndex
{
    private ShardIndex(
        string path,
        IReadOnlyDictionary<string, string> metadata,
        IReadOnlyList<string> shardPaths,
        IReadOnlyList<KeyValuePair<string, int>> shardOfTensor)
    {
        Path = path;
        Metadata = metadata;
        ShardPaths = shardPaths;
        ShardOfTensor = shardOfTensor;
    }

    public string Path { get; }

    /// <summary>The "metadata" object; string values verbatim, any other value as its JSON text (e.g. total_size).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Full paths of the distinct shards, in order of first mention.</summary>
    public IReadOnlyList<string> ShardPaths { get; }

    /// <summary>Tensor name to position in <see cref="ShardPaths"/>, in weight_map order.</summary>
    public IReadOnlyList<KeyValuePair<string, int>> ShardOfTensor { get; }

    public static ShardIndex Parse(string indexPath)
    {
        JsonDocument document;
        try
        {
            byte[] bytes = File.ReadAllBytes(indexPath);
            // JsonDocument checks the structure but not the UTF-8 inside strings (reading one later would throw).
            if (!System.Text.Unicode.Utf8.IsValid(bytes))
                throw new SafeTensorsFormatException(indexPath, "index is not valid UTF-8");
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException exception)
        {
            throw new SafeTensorsFormatException(indexPath, $"index is not valid JSON: {exception.Message}", exception);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new SafeTensorsFormatException(indexPath, $"index must be a JSON object, not {root.ValueKind}");
            }
            IReadOnlyDictionary<string, string> metadata = ParseMetadata(indexPath, root);

            if (!root.TryGetProperty("weight_map", out JsonElement weightMap) || weightMap.ValueKind != JsonValueKind.Object)
            {
                throw new SafeTensorsFormatException(indexPath, "index has no \"weight_map\" object mapping tensor names to shard files");
            }

            string folder = System.IO.Path.GetDirectoryName(indexPath)!;
            var shardPaths = new List<string>();
            var shardPositions = new Dictionary<string, int>(StringComparer.Ordinal);
            var seenTensors = new HashSet<string>(StringComparer.Ordinal);
            var shardOfTensor = new List<KeyValuePair<string, int>>();
            foreach (JsonProperty entry in weightMap.EnumerateObject())
            {
                if (!seenTensors.Add(entry.Name))
                {
                    throw new SafeTensorsFormatException(indexPath, $"weight_map lists tensor '{entry.Name}' twice");
                }
                if (entry.Value.ValueKind != JsonValueKind.String)
                {
                    throw new SafeTensorsFormatException(indexPath,
                        $"weight_map entry for tensor '{entry.Name}' must be a shard file name, but it is {entry.Value.GetRawText()}");
                }
                string shardName = entry.Value.GetString()!;
                if (!shardPositions.TryGetValue(shardName, out int position))
                {
                    string shardPath = ResolveShard(indexPath, folder, entry.Name, shardName);
                    position = shardPaths.Count;
                    shardPaths.Add(shardPath);
                    shardPositions.Add(shardName, position);
                }
                shardOfTensor.Add(new(entry.Name, position));
            }
            return new ShardIndex(indexPath, metadata, shardPaths, shardOfTensor);
        }
    }

    private static Dictionary<string, string> ParseMetadata(string indexPath, JsonElement root)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!root.TryGetProperty("metadata", out JsonElement element) || element.ValueKind == JsonValueKind.Null)
        {
            return metadata;
        }
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new SafeTensorsFormatException(indexPath, $"index \"metadata\" must be an object, but it is {element.GetRawText()}");
        }
        foreach (JsonProperty entry in element.EnumerateObject())
        {
            string value = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : entry.Value.GetRawText();
            if (!metadata.TryAdd(entry.Name, value))
            {
                throw new SafeTensorsFormatException(indexPath, $"index \"metadata\" has the key '{entry.Name}' twice");
            }
        }
        return metadata;
    }

    /// <summary>
    /// Shard names are relative to the index's folder; a name that escapes it (absolute, or via
    /// "..") is refused so a downloaded index cannot make us open arbitrary files.
    /// </summary>
    private static string ResolveShard(string indexPath, string folder, string tensorName, string shardName)
    {
        string shardPath = System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, shardName));
        string folderPrefix = System.IO.Path.TrimEndingDirectorySeparator(folder) + System.IO.Path.DirectorySeparatorChar;
        if (shardName.Length == 0 || System.IO.Path.IsPathRooted(shardName) || !shardPath.StartsWith(folderPrefix, StringComparison.Ordinal))
        {
            throw new SafeTensorsFormatException(indexPath,
                $"weight_map puts tensor '{tensorName}' in shard '{shardName}', which is not a file inside the index's folder");
        }
        if (!File.Exists(shardPath))
        {
            throw new SafeTensorsFormatException(indexPath,
                $"weight_map puts tensor '{tensorName}' in shard '{shardName}', which does not exist in {folder}");
        }
        return shardPath;
    }
}

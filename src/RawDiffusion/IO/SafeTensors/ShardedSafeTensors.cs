namespace RawDiffusion.IO;

/// <summary>
/// One read API over a checkpoint that is either a single .safetensors file or a folder of shards
/// described by an index (model.safetensors.index.json). Shards are opened (and validated) the
/// first time one of their tensors is asked for. Thread-safe for reads.
/// </summary>
public sealed class ShardedSafeTensors : IDisposable
{
    public const string DefaultIndexFileName = "model.safetensors.index.json";

    private const string IndexSuffix = ".safetensors.index.json";

    private readonly string[] shardPaths;
    private readonly Dictionary<string, int> shardOfTensor;
    private readonly List<string>[] tensorsOfShard;
    private readonly SafeTensorsFile?[] openShards;
    private readonly Lock openLock = new();
    private bool disposed;

    private ShardedSafeTensors(
        string path,
        IReadOnlyDictionary<string, string> metadata,
        IReadOnlyList<string> shardPaths,
        IReadOnlyList<KeyValuePair<string, int>> shardOfTensor,
        SafeTensorsFile? alreadyOpenSingleFile)
    {
        Path = path;
        Metadata = metadata;
        this.shardPaths = shardPaths.ToArray();
        this.shardOfTensor = new Dictionary<string, int>(shardOfTensor, StringComparer.Ordinal);
        Names = shardOfTensor.Select(entry => entry.Key).ToArray();
        tensorsOfShard = Enumerable.Range(0, this.shardPaths.Length).Select(_ => new List<string>()).ToArray();
        foreach ((string name, int shard) in shardOfTensor)
        {
            tensorsOfShard[shard].Add(name);
        }
        openShards = new SafeTensorsFile?[this.shardPaths.Length];
        if (alreadyOpenSingleFile is not null)
        {
            openShards[0] = alreadyOpenSingleFile;
        }
    }

    /// <summary>The index file, or the single .safetensors file.</summary>
    public string Path { get; }

    /// <summary>
    /// The index's "metadata" (non-string values such as total_size as their JSON text), or the
    /// single file's "__metadata__".
    /// </summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor name, in weight_map order (or file order for a single file).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Full paths of the shard files.</summary>
    public IReadOnlyList<string> ShardPaths => shardPaths;

    /// <summary>Every tensor's info, in <see cref="Names"/> order. Opens all shards.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors => Names.Select(InfoOf).ToArray();

    /// <summary>
    /// Opens a .safetensors file, an index file (*.json), or a folder holding either
    /// model.safetensors.index.json (or exactly one *.safetensors.index.json) or exactly one
    /// .safetensors file. Every shard the index names must exist.
    /// </summary>
    public static ShardedSafeTensors Open(string folderOrIndexPath)
    {
        ArgumentNullException.ThrowIfNull(folderOrIndexPath);
        string fullPath = System.IO.Path.GetFullPath(folderOrIndexPath);
        if (Directory.Exists(fullPath))
        {
            return OpenFolder(fullPath);
        }
        if (File.Exists(fullPath))
        {
            return fullPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? OpenIndex(fullPath) : OpenSingleFile(fullPath);
        }
        throw new FileNotFoundException($"No safetensors file, index or folder at '{fullPath}'.", fullPath);
    }

    public bool Contains(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return shardOfTensor.ContainsKey(name);
    }

    /// <summary>
    /// Looks the tensor up, opening its shard if needed. Returns false only for unknown names; an
    /// index that names a tensor its shard lacks throws <see cref="SafeTensorsFormatException"/>.
    /// </summary>
    public bool TryGet(string name, out SafeTensorInfo info)
    {
        if (!Contains(name))
        {
            info = null!;
            return false;
        }
        info = InfoOf(name);
        return true;
    }

    /// <summary>Full path of the shard holding <paramref name="name"/>.</summary>
    public string ShardPathOf(string name) => shardPaths[ShardIndexOf(name)];

    public float[] ReadFloat32(string name) => ShardFor(name).ReadFloat32(name);

    public double[] ReadFloat64(string name) => ShardFor(name).ReadFloat64(name);

    public long[] ReadInt64(string name) => ShardFor(name).ReadInt64(name);

    public void CopyRaw(string name, Span<byte> destination) => ShardFor(name).CopyRaw(name, destination);

    public void Dispose()
    {
        lock (openLock)
        {
            disposed = true;
            foreach (SafeTensorsFile? shard in openShards)
            {
                shard?.Dispose();
            }
            Array.Clear(openShards);
        }
    }

    private static ShardedSafeTensors OpenFolder(string folder)
    {
        string defaultIndex = System.IO.Path.Combine(folder, DefaultIndexFileName);
        if (File.Exists(defaultIndex))
        {
            return OpenIndex(defaultIndex);
        }
        string[] indexes = Directory.GetFiles(folder, "*" + IndexSuffix).Order(StringComparer.Ordinal).ToArray();
        if (indexes.Length > 1)
        {
            throw new SafeTensorsFormatException(folder,
                $"folder holds {indexes.Length} index files ({string.Join(", ", indexes.Select(System.IO.Path.GetFileName))}); open one of them directly");
        }
        if (indexes.Length == 1)
        {
            return OpenIndex(indexes[0]);
        }
        string[] files = Directory.GetFiles(folder, "*.safetensors").Order(StringComparer.Ordinal).ToArray();
        return files.Length switch
        {
            1 => OpenSingleFile(files[0]),
            0 => throw new FileNotFoundException(
                $"Folder '{folder}' holds no .safetensors file and no {DefaultIndexFileName}.", defaultIndex),
            _ => throw new SafeTensorsFormatException(folder,
                $"folder holds {files.Length} .safetensors files but no {DefaultIndexFileName} saying which tensor lives where; open one file directly or add the index"),
        };
    }

    private static ShardedSafeTensors OpenIndex(string indexPath)
    {
        ShardIndex index = ShardIndex.Parse(indexPath);
        return new ShardedSafeTensors(indexPath, index.Metadata, index.ShardPaths, index.ShardOfTensor, alreadyOpenSingleFile: null);
    }

    private static ShardedSafeTensors OpenSingleFile(string path)
    {
        SafeTensorsFile file = SafeTensorsFile.Open(path);
        KeyValuePair<string, int>[] names = file.Tensors.Select(tensor => new KeyValuePair<string, int>(tensor.Name, 0)).ToArray();
        return new ShardedSafeTensors(file.Path, file.Metadata, [file.Path], names, file);
    }

    private int ShardIndexOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!shardOfTensor.TryGetValue(name, out int shard))
        {
            throw new KeyNotFoundException($"{System.IO.Path.GetFileName(Path)}: no tensor named '{name}'");
        }
        return shard;
    }

    private SafeTensorsFile ShardFor(string name)
    {
        int shard = ShardIndexOf(name);
        lock (openLock)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return openShards[shard] ??= OpenShard(shard);
        }
    }

    /// <summary>The shard was checked to hold <paramref name="name"/> when it was opened, so the lookup succeeds.</summary>
    private SafeTensorInfo InfoOf(string name)
    {
        ShardFor(name).TryGet(name, out SafeTensorInfo info);
        return info;
    }

    /// <summary>Opens a shard and checks it really holds every tensor the index assigns to it.</summary>
    private SafeTensorsFile OpenShard(int shard)
    {
        SafeTensorsFile file = SafeTensorsFile.Open(shardPaths[shard]);
        string? missing = tensorsOfShard[shard].FirstOrDefault(name => !file.TryGet(name, out _));
        if (missing is not null)
        {
            file.Dispose();
            throw new SafeTensorsFormatException(Path,
                $"index puts tensor '{missing}' in shard '{System.IO.Path.GetFileName(shardPaths[shard])}', but that shard has no such tensor");
        }
        return file;
    }
}

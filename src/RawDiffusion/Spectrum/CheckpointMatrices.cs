using RawDiffusion.IO;

namespace RawDiffusion.Spectrum;

/// <summary>One tensor of a checkpoint: analysed as a matrix, or listed with the reason it is skipped.</summary>
/// <param name="Name">Tensor name, prefixed with its file's relative path when the input spans several files.</param>
/// <param name="GroupPrefix">For several files: the file's relative path with every run of digits as '#' and a ':', so
/// the same module of every zoo checkpoint (zoo/checkpoints/&lt;task&gt;/seed&lt;s&gt;-epoch&lt;e&gt;) forms one group while
/// different networks of a run folder do not mix; empty for one file or a sharded checkpoint.</param>
public sealed record CheckpointTensor(string Name, string TensorName, string File, long[] Shape, string DType, int Rows, int Columns, string? SkipReason, string GroupPrefix = "")
{
    /// <summary>The module (the name without ".weight"), its group and layer number, parsed from the tensor's own name.</summary>
    public ModuleName Module
    {
        get
        {
            ModuleName parsed = ModuleName.Parse(TensorName);
            string module = Name.EndsWith(".weight", StringComparison.Ordinal) ? Name[..^".weight".Length] : Name;
            return parsed with { Module = module, Group = GroupPrefix + parsed.Group };
        }
    }
}

/// <summary>
/// Finds the tensors of a checkpoint: a .safetensors file, a folder with model.safetensors.index.json (shards), or a run or
/// zoo folder (every .safetensors file below it). Only headers are read here; no file stays open between tensors. 1-D tensors (biases, norms), integer tensors and a training checkpoint's
/// optimizer and EMA state are listed as skipped; convolution kernels out×in×k(×k) are reshaped to out × in·k·k.
/// </summary>
public sealed partial class CheckpointMatrices
{
    private CheckpointMatrices(string path, IReadOnlyList<CheckpointTensor> tensors)
    {
        Path = path;
        Tensors = tensors;
    }

    public string Path { get; }

    public IReadOnlyList<CheckpointTensor> Tensors { get; }

    /// <summary>The largest analysed tensor's size in its stored type, in bytes.</summary>
    public long LargestTensorBytes { get; private set; }

    public static CheckpointMatrices Open(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (File.Exists(full) || (Directory.Exists(full) && HoldsIndex(full)))
        {
            // The index (and every shard's header) is validated here; tensors are then read through our own mappings.
            using var checkpoint = ShardedSafeTensors.Open(full);
            var tensors = checkpoint.Names.Select(name =>
            {
                checkpoint.TryGet(name, out SafeTensorInfo info);
                return Describe(name, name, checkpoint.ShardPathOf(name), info);
            }).ToList();
            return WithSize(new CheckpointMatrices(full, tensors));
        }
        if (!Directory.Exists(full))
        {
            throw new FileNotFoundException($"no safetensors file or folder at '{full}'", full);
        }
        string[] paths = Directory.GetFiles(full, "*.safetensors", SearchOption.AllDirectories)
            .Where(file => !IsDuplicateTrainingCheckpoint(full, file))
            .Order(StringComparer.Ordinal).ToArray();
        if (paths.Length == 0)
        {
            throw new FileNotFoundException($"folder '{full}' holds no .safetensors file (and no {ShardedSafeTensors.DefaultIndexFileName})", full);
        }
        var result = new List<CheckpointTensor>();
        var matrices = new CheckpointMatrices(full, result);
        {
            foreach (string file in paths)
            {
                using SafeTensorsFile opened = SafeTensorsFile.Open(file);
                string relative = System.IO.Path.GetRelativePath(full, file);
                foreach (SafeTensorInfo info in opened.Tensors)
                {
                    CheckpointTensor tensor = Describe(paths.Length == 1 ? info.Name : $"{relative}:{info.Name}", info.Name, file, info);
                    result.Add(paths.Length == 1 ? tensor : tensor with { GroupPrefix = Digits().Replace(relative, "#") + ":" });
                }
            }
            return WithSize(matrices);
        }
    }

    /// <summary>
    /// The tensor as a matrix source over its own mapping of the file; dispose it after use. Unmapping then drops the
    /// tensor's file pages from the process, which a mapping kept open for the whole scan would accumulate tensor after
    /// tensor (they count as resident memory until the kernel evicts them).
    /// </summary>
    public SafeTensorMatrix Matrix(CheckpointTensor tensor)
    {
        if (tensor.SkipReason is not null)
        {
            throw new InvalidOperationException($"tensor '{tensor.Name}' is not analysed: {tensor.SkipReason}");
        }
        SafeTensorsFile file = SafeTensorsFile.Open(tensor.File);
        return new SafeTensorMatrix(file, tensor.TensorName, tensor.Rows, tensor.Columns, ownsFile: true);
    }


    private static CheckpointMatrices WithSize(CheckpointMatrices matrices)
    {
        matrices.LargestTensorBytes = matrices.Tensors.Where(t => t.SkipReason is null)
            .Select(t => (long)t.Rows * t.Columns * ElementBytes(t.DType)).DefaultIfEmpty(0).Max();
        return matrices;
    }

    private static int ElementBytes(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        _ => 1,
    };

    [System.Text.RegularExpressions.GeneratedRegex("[0-9]+")]
    private static partial System.Text.RegularExpressions.Regex Digits();

    private static bool HoldsIndex(string folder) =>
        File.Exists(System.IO.Path.Combine(folder, ShardedSafeTensors.DefaultIndexFileName))
        || Directory.GetFiles(folder, "*.safetensors.index.json").Length > 0;

    /// <summary>A run folder's checkpoints/&lt;stage&gt;.safetensors once &lt;stage&gt;.safetensors (the finished network) exists beside it.</summary>
    private static bool IsDuplicateTrainingCheckpoint(string root, string file)
    {
        string? folder = System.IO.Path.GetDirectoryName(file);
        if (folder is null || System.IO.Path.GetFileName(folder) != "checkpoints")
        {
            return false;
        }
        string? parent = System.IO.Path.GetDirectoryName(folder);
        return parent is not null && File.Exists(System.IO.Path.Combine(parent, System.IO.Path.GetFileName(file)));
    }

    private static CheckpointTensor Describe(string name, string tensorName, string file, SafeTensorInfo info)
    {
        long[] shape = info.Shape;
        string dtype = info.DType.HeaderName();
        string? skip = null;
        long rows = 0, columns = 0;
        if (tensorName.StartsWith(Training.Checkpoint.OptimizerPrefix, StringComparison.Ordinal)
            || tensorName.StartsWith(Training.Checkpoint.EmaPrefix, StringComparison.Ordinal))
        {
            skip = "training state (optimizer or EMA), not a weight";
        }
        else if (info.DType.IsInteger())
        {
            skip = $"{dtype} tensor, not weights";
        }
        else if (shape.Length < 2)
        {
            skip = shape.Length == 0 ? "scalar" : "1-D (bias or norm)";
        }
        else
        {
            rows = shape[0];
            columns = shape.Skip(1).Aggregate(1L, (x, y) => x * y);
            if (rows < 1 || columns < 1)
            {
                skip = "empty";
            }
            else if (rows > int.MaxValue || columns > int.MaxValue)
            {
                skip = $"{rows}x{columns} is larger than one matrix can be";
            }
        }
        return new CheckpointTensor(name, tensorName, file, shape, dtype, skip is null ? (int)rows : 0, skip is null ? (int)columns : 0, skip);
    }
}

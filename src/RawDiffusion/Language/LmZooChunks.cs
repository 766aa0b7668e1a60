using RawDiffusion.IO;
using RawDiffusion.Models.Language;
using RawDiffusion.Zoo;

namespace RawDiffusion.Language;

/// <summary>The zoo's selected layers as training rows for the generator: every member's selected tensors are flattened
/// layer-wise (<see cref="WeightVectorizer.LayerWise"/>: each tensor cut into chunks of the chunk size, the last one
/// zero-padded) and z-scored with the per-parameter mean over the zoo and one standard deviation per tensor (of the
/// deviations from that mean, so a tensor that moves little is not blown up parameter by parameter). Row (member, chunk)
/// has class <c>domain · chunks + chunk</c>: the chunk index and the domain in one class embedding.</summary>
public sealed class LmZooChunks
{
    LmZooChunks(WeightVectorizer layout, float[] mean, float[] std, string[] domains)
    {
        Layout = layout;
        Mean = mean;
        Std = std;
        Domains = domains;
    }

    public WeightVectorizer Layout { get; }
    /// <summary>[VectorLength]: the zoo mean at every vector position (0 on padding).</summary>
    public float[] Mean { get; }
    /// <summary>[tensors]: the std of each selected tensor's deviations from the mean.</summary>
    public float[] Std { get; }
    public string[] Domains { get; }
    public int ChunkCount => Layout.ChunkCount;
    public int ChunkSize => Layout.ChunkSize;
    public int ClassOf(int domain, int chunk) => domain * ChunkCount + chunk;

    /// <summary>Normalised rows [members · chunks, chunkSize] and their classes, from the members' selected tensors.</summary>
    public (float[] Rows, int[] Classes) Rows(IReadOnlyList<(int Domain, IReadOnlyDictionary<string, float[]> Tensors)> members)
    {
        var rows = new float[members.Count * Layout.VectorLength];
        var classes = new int[members.Count * ChunkCount];
        for (int m = 0; m < members.Count; m++)
        {
            Normalize(Layout.Flatten(members[m].Tensors)).CopyTo(rows.AsSpan(m * Layout.VectorLength));
            for (int c = 0; c < ChunkCount; c++) classes[m * ChunkCount + c] = ClassOf(members[m].Domain, c);
        }
        return (rows, classes);
    }

    public float[] Normalize(float[] vector)
    {
        var z = new float[vector.Length];
        foreach (var chunk in Layout.Chunks)
            for (int i = 0; i < chunk.Length; i++)
            {
                int p = chunk.VectorOffset + i;
                z[p] = (vector[p] - Mean[p]) / Std[chunk.TensorIndex];
            }
        return z;
    }

    /// <summary>The tensors of a normalised vector (padding is ignored).</summary>
    public Dictionary<string, float[]> Denormalize(ReadOnlySpan<float> z)
    {
        var vector = new float[Layout.VectorLength];
        foreach (var chunk in Layout.Chunks)
            for (int i = 0; i < chunk.Length; i++)
            {
                int p = chunk.VectorOffset + i;
                vector[p] = z[p] * Std[chunk.TensorIndex] + Mean[p];
            }
        return Layout.Unflatten(vector);
    }

    /// <summary>Statistics from the members' selected tensors.</summary>
    public static LmZooChunks Fit(IReadOnlyList<TensorSpec> selected, int chunkSize, IReadOnlyList<IReadOnlyDictionary<string, float[]>> members, string[] domains)
    {
        if (members.Count < 2) throw new ArgumentException($"the zoo needs at least two members to fit the normalisation, got {members.Count}", nameof(members));
        var layout = WeightVectorizer.LayerWise(selected, chunkSize);
        var vectors = members.Select(layout.Flatten).ToArray();
        var mean = new float[layout.VectorLength];
        for (int p = 0; p < mean.Length; p++)
        {
            double sum = 0;
            foreach (var v in vectors) sum += v[p];
            mean[p] = (float)(sum / vectors.Length);
        }
        var sq = new double[selected.Count];
        var count = new long[selected.Count];
        foreach (var chunk in layout.Chunks)
            for (int i = 0; i < chunk.Length; i++)
            {
                int p = chunk.VectorOffset + i;
                foreach (var v in vectors) sq[chunk.TensorIndex] += (v[p] - mean[p]) * (double)(v[p] - mean[p]);
                count[chunk.TensorIndex] += vectors.Length;
            }
        var std = sq.Select((s, t) => (float)Math.Max(Math.Sqrt(s / count[t]), 1e-8)).ToArray();
        return new LmZooChunks(layout, mean, std, domains);
    }

    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        Layout.Save(Path.Combine(folder, "layout.json"));
        SafeTensorsWriter.Write(Path.Combine(folder, "normalization.safetensors"),
            [new SafeTensorEntry("mean", [Mean.Length], Mean), new SafeTensorEntry("std", [Std.Length], Std)],
            new Dictionary<string, string> { ["domains"] = string.Join(",", Domains) });
    }

    public static LmZooChunks Load(string folder)
    {
        var layout = WeightVectorizer.Load(Path.Combine(folder, "layout.json"));
        var path = Path.Combine(folder, "normalization.safetensors");
        using var file = SafeTensorsFile.Open(path);
        var mean = file.ReadFloat32("mean");
        var std = file.ReadFloat32("std");
        if (mean.Length != layout.VectorLength || std.Length != layout.Tensors.Count)
            throw new InvalidDataException($"{path}: mean has {mean.Length} values and std {std.Length}; the layout needs {layout.VectorLength} and {layout.Tensors.Count}");
        var domains = file.Metadata.TryGetValue("domains", out var d) ? d.Split(',') : throw new InvalidDataException($"{path}: metadata 'domains' is missing");
        return new LmZooChunks(layout, mean, std, domains);
    }

    /// <summary>The selected tensors of a model folder's weights.</summary>
    public static Dictionary<string, float[]> ReadSelected(string modelFolder, IReadOnlyList<TensorSpec> selected)
    {
        var path = Path.Combine(modelFolder, LlamaFiles.WeightsFile);
        using var file = SafeTensorsFile.Open(path);
        var result = new Dictionary<string, float[]>();
        foreach (var spec in selected)
        {
            if (!file.TryGet(spec.Name, out var info)) throw new InvalidDataException($"{path}: tensor '{spec.Name}' is missing");
            if (!info.Shape.Select(x => (int)x).SequenceEqual(spec.Shape)) throw new InvalidDataException($"{path}: tensor '{spec.Name}' has shape [{string.Join(", ", info.Shape)}], expected {spec}");
            result[spec.Name] = file.ReadFloat32(spec.Name);
        }
        return result;
    }
}

using System.Globalization;
using RawDiffusion.IO;

namespace RawDiffusion.Zoo;

/// <summary>
/// Standardisation of weight vectors before the VAE sees them, fitted on a zoo of N models laid out by a
/// <see cref="WeightVectorizer"/>: z = (x - mean) / std, undone after sampling. Statistics are computed in double
/// (two passes: mean, then the population variance, dividing by the count) and kept as float32, the precision
/// they are saved in, so a loaded file normalises exactly like the fitted object. Padding positions are not weights:
/// they are excluded from the statistics and set to 0 by both <see cref="Normalize"/> and <see cref="Denormalize"/>.
/// </summary>
public sealed class NormalizationStats
{
    /// <summary>
    /// Floor of every standard deviation: a weight that is (nearly) constant across the zoo (std 0) would otherwise
    /// divide by zero or blow float rounding noise up to huge normalised values; with the floor it normalises to ~0.
    /// </summary>
    public const double MinStd = 1e-6;

    /// <summary>The "format" metadata entry of a saved statistics file.</summary>
    public const string FormatName = "rawdiffusion-normalization";

    const string PerLayerName = "per-layer", PerParameterName = "per-parameter";
    const string FormatKey = "format", ModeKey = "mode", LayoutKey = "layout", SamplesKey = "samples", MinStdKey = "min_std";
    const string MeanTensor = "mean", StdTensor = "std";

    readonly float[] mean, std;
    // Per vector position, expanded from mean/std once so Normalize is one pass; padding positions are flagged.
    readonly double[] positionMean, positionStd;
    readonly bool[] padding;

    NormalizationStats(WeightVectorizer layout, NormalizationMode mode, int sampleCount, float[] mean, float[] std)
    {
        Layout = layout;
        Mode = mode;
        SampleCount = sampleCount;
        this.mean = mean;
        this.std = std;
        padding = layout.PaddingMask();
        positionMean = new double[layout.VectorLength];
        positionStd = new double[layout.VectorLength];
        if (mode == NormalizationMode.PerParameter)
        {
            for (int i = 0; i < mean.Length; i++) { positionMean[i] = mean[i]; positionStd[i] = std[i]; }
        }
        else
        {
            foreach (var s in layout.Segments)
            {
                positionMean.AsSpan(s.VectorOffset, s.Length).Fill(mean[s.TensorIndex]);
                positionStd.AsSpan(s.VectorOffset, s.Length).Fill(std[s.TensorIndex]);
            }
        }
    }

    public WeightVectorizer Layout { get; }
    public NormalizationMode Mode { get; }

    /// <summary>How many model vectors the statistics were fitted on.</summary>
    public int SampleCount { get; }

    /// <summary>Means: one per tensor (per-layer, in state-dict order) or one per vector position (per-parameter; padding 0).</summary>
    public IReadOnlyList<float> Mean => mean;

    /// <summary>Standard deviations (at least <see cref="MinStd"/>), indexed like <see cref="Mean"/> (padding positions 1).</summary>
    public IReadOnlyList<float> Std => std;

    /// <summary>Fits on a row-major [N, layout.VectorLength] matrix of model vectors (N >= 1, all weights finite).</summary>
    public static NormalizationStats Fit(WeightVectorizer layout, ReadOnlySpan<float> vectors, NormalizationMode mode)
    {
        ArgumentNullException.ThrowIfNull(layout);
        int length = layout.VectorLength;
        if (vectors.Length == 0 || vectors.Length % length != 0)
            throw new ArgumentException($"the vectors hold {vectors.Length} values, not a positive multiple of the vector length {length}", nameof(vectors));
        int n = vectors.Length / length;
        CheckFinite(layout, vectors, n);
        return mode switch
        {
            NormalizationMode.PerLayer => FitPerLayer(layout, vectors, n),
            NormalizationMode.PerParameter => FitPerParameter(layout, vectors, n),
            _ => throw new ArgumentException($"unknown normalization mode {mode}", nameof(mode)),
        };
    }

    /// <summary>Fits on a list of model vectors, each layout.VectorLength long.</summary>
    public static NormalizationStats Fit(WeightVectorizer layout, IReadOnlyList<float[]> vectors, NormalizationMode mode)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(vectors);
        int length = layout.VectorLength;
        if ((long)vectors.Count * length > Array.MaxLength)
            throw new ArgumentException($"{vectors.Count} vectors of {length} values exceed the largest possible array", nameof(vectors));
        var matrix = new float[vectors.Count * length];
        for (int i = 0; i < vectors.Count; i++)
        {
            if (vectors[i]?.Length != length)
                throw new ArgumentException($"vector {i} has {vectors[i]?.Length ?? 0} values, the layout needs {length}", nameof(vectors));
            vectors[i].CopyTo(matrix, i * length);
        }
        return Fit(layout, matrix, mode);
    }

    static void CheckFinite(WeightVectorizer layout, ReadOnlySpan<float> vectors, int n)
    {
        for (int row = 0; row < n; row++)
        {
            var vector = vectors.Slice(row * layout.VectorLength, layout.VectorLength);
            foreach (var s in layout.Segments)
            {
                var values = vector.Slice(s.VectorOffset, s.Length);
                for (int i = 0; i < values.Length; i++)
                    if (!float.IsFinite(values[i]))
                        throw new ArgumentException($"vector {row}, position {s.VectorOffset + i} (tensor \"{s.Tensor}\" value {s.Offset + i}) is {values[i]}; statistics need finite weights", nameof(vectors));
            }
        }
    }

    static NormalizationStats FitPerLayer(WeightVectorizer layout, ReadOnlySpan<float> vectors, int n)
    {
        int length = layout.VectorLength, tensorCount = layout.Tensors.Count;
        var sum = new double[tensorCount];
        for (int row = 0; row < n; row++)
            foreach (var s in layout.Segments)
                foreach (float x in vectors.Slice(row * length + s.VectorOffset, s.Length)) sum[s.TensorIndex] += x;
        var means = new double[tensorCount];
        for (int t = 0; t < tensorCount; t++) means[t] = sum[t] / ((double)n * layout.Tensors[t].Numel);
        var squares = new double[tensorCount];
        for (int row = 0; row < n; row++)
            foreach (var s in layout.Segments)
                foreach (float x in vectors.Slice(row * length + s.VectorOffset, s.Length))
                {
                    double d = x - means[s.TensorIndex];
                    squares[s.TensorIndex] += d * d;
                }
        var mean = new float[tensorCount];
        var std = new float[tensorCount];
        for (int t = 0; t < tensorCount; t++)
        {
            mean[t] = (float)means[t];
            std[t] = FlooredStd(squares[t] / ((double)n * layout.Tensors[t].Numel));
        }
        return new NormalizationStats(layout, NormalizationMode.PerLayer, n, mean, std);
    }

    static NormalizationStats FitPerParameter(WeightVectorizer layout, ReadOnlySpan<float> vectors, int n)
    {
        int length = layout.VectorLength;
        var means = new double[length];
        for (int row = 0; row < n; row++)
        {
            var vector = vectors.Slice(row * length, length);
            for (int i = 0; i < length; i++) means[i] += vector[i];
        }
        for (int i = 0; i < length; i++) means[i] /= n;
        var squares = new double[length];
        for (int row = 0; row < n; row++)
        {
            var vector = vectors.Slice(row * length, length);
            for (int i = 0; i < length; i++)
            {
                double d = vector[i] - means[i];
                squares[i] += d * d;
            }
        }
        var mean = new float[length];
        var std = new float[length];
        var padding = layout.PaddingMask();
        for (int i = 0; i < length; i++)
        {
            // Padding gets the identity transform in the saved arrays; Normalize writes 0 there regardless.
            mean[i] = padding[i] ? 0f : (float)means[i];
            std[i] = padding[i] ? 1f : FlooredStd(squares[i] / n);
        }
        return new NormalizationStats(layout, NormalizationMode.PerParameter, n, mean, std);
    }

    static float FlooredStd(double variance) => (float)Math.Max(Math.Sqrt(variance), MinStd);

    /// <summary>Standardises one vector or a row-major batch of vectors in place; padding positions become 0.</summary>
    public void Normalize(Span<float> vectors)
    {
        int length = CheckBatch(vectors.Length);
        for (int start = 0; start < vectors.Length; start += length)
        {
            var v = vectors.Slice(start, length);
            for (int i = 0; i < length; i++)
                v[i] = padding[i] ? 0f : (float)((v[i] - positionMean[i]) / positionStd[i]);
        }
    }

    /// <summary>Per vector position, the (std, mean) that <see cref="Denormalize"/> applies as x = z * std + mean, with
    /// (0, 0) at padding positions: for de-normalising inside a differentiable computation.</summary>
    public (float[] Std, float[] Mean) PositionAffine()
    {
        var scale = new float[positionStd.Length];
        var shift = new float[positionMean.Length];
        for (int i = 0; i < scale.Length; i++)
            if (!padding[i]) { scale[i] = (float)positionStd[i]; shift[i] = (float)positionMean[i]; }
        return (scale, shift);
    }

    /// <summary>Undoes <see cref="Normalize"/> in place (x = z * std + mean); padding positions become 0.</summary>
    public void Denormalize(Span<float> vectors)
    {
        int length = CheckBatch(vectors.Length);
        for (int start = 0; start < vectors.Length; start += length)
        {
            var v = vectors.Slice(start, length);
            for (int i = 0; i < length; i++)
                v[i] = padding[i] ? 0f : (float)(v[i] * positionStd[i] + positionMean[i]);
        }
    }

    int CheckBatch(int count)
    {
        int length = Layout.VectorLength;
        if (count == 0 || count % length != 0)
            throw new ArgumentException($"the span holds {count} values, not a positive multiple of the vector length {length} ({Layout})", "vectors");
        return length;
    }

    /// <summary>
    /// Writes the statistics as a safetensors file (tensors "mean" and "std", metadata: format, mode, layout JSON,
    /// samples, min_std), atomically.
    /// </summary>
    public void Save(string path)
    {
        var metadata = new Dictionary<string, string>
        {
            [FormatKey] = FormatName,
            [ModeKey] = ModeName(Mode),
            [LayoutKey] = Layout.ToJson(),
            [SamplesKey] = SampleCount.ToString(CultureInfo.InvariantCulture),
            [MinStdKey] = MinStd.ToString("R", CultureInfo.InvariantCulture),
        };
        SafeTensorsWriter.Write(path,
            [new SafeTensorEntry(MeanTensor, [mean.Length], mean), new SafeTensorEntry(StdTensor, [std.Length], std)], metadata);
    }

    /// <summary>Reads statistics saved by <see cref="Save"/>, validating everything; errors name the file and the entry.</summary>
    public static NormalizationStats Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"normalization statistics file \"{path}\" does not exist", path);
        using var file = SafeTensorsFile.Open(path);
        string Where(string key) => $"{path}: metadata \"{key}\"";
        string Entry(string key) => file.Metadata.TryGetValue(key, out var value) ? value : throw new FormatException($"{Where(key)} is missing");

        if (Entry(FormatKey) != FormatName) throw new FormatException($"{Where(FormatKey)} is \"{Entry(FormatKey)}\", expected \"{FormatName}\"");
        var mode = Entry(ModeKey) switch
        {
            PerLayerName => NormalizationMode.PerLayer,
            PerParameterName => NormalizationMode.PerParameter,
            var other => throw new FormatException($"{Where(ModeKey)} is \"{other}\", expected \"{PerLayerName}\" or \"{PerParameterName}\""),
        };
        var layout = WeightVectorizer.Parse(Entry(LayoutKey), Where(LayoutKey));
        if (!int.TryParse(Entry(SamplesKey), NumberStyles.None, CultureInfo.InvariantCulture, out int samples) || samples < 1)
            throw new FormatException($"{Where(SamplesKey)} is \"{Entry(SamplesKey)}\", expected a positive integer");

        int count = mode == NormalizationMode.PerLayer ? layout.Tensors.Count : layout.VectorLength;
        foreach (var info in file.Tensors)
            if (info.Name is not (MeanTensor or StdTensor))
                throw new FormatException($"{path}: unexpected tensor \"{info.Name}\" (a statistics file holds \"{MeanTensor}\" and \"{StdTensor}\")");
        float[] mean = ReadVector(file, MeanTensor, count, mode), std = ReadVector(file, StdTensor, count, mode);
        for (int i = 0; i < count; i++)
        {
            if (!float.IsFinite(mean[i])) throw new FormatException($"{path}: tensor \"{MeanTensor}\"[{i}] is {mean[i]}, not a finite number");
            if (!(std[i] >= (float)MinStd) || !float.IsFinite(std[i]))
                throw new FormatException($"{path}: tensor \"{StdTensor}\"[{i}] is {std[i]}, expected a finite value >= {MinStd}");
        }
        return new NormalizationStats(layout, mode, samples, mean, std);
    }

    /// <summary>Like <see cref="Load(string)"/>, and checks the file was fitted on <paramref name="expected"/>'s layout.</summary>
    public static NormalizationStats Load(string path, WeightVectorizer expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var stats = Load(path);
        if (!stats.Layout.Equals(expected))
            throw new FormatException($"{path}: the statistics were fitted on a different layout ({stats.Layout}) than expected ({expected})");
        return stats;
    }

    static float[] ReadVector(SafeTensorsFile file, string name, int count, NormalizationMode mode)
    {
        if (!file.TryGet(name, out var info)) throw new FormatException($"{file.Path}: tensor \"{name}\" is missing");
        if (info.DType != SafeTensorDType.F32) throw new FormatException($"{file.Path}: tensor \"{name}\" is {info.DType.HeaderName()}, expected F32");
        if (info.Shape.Length != 1 || info.Shape[0] != count)
            throw new FormatException($"{file.Path}: tensor \"{name}\" has shape [{string.Join(", ", info.Shape)}], a {ModeName(mode)} layout of this size needs [{count}]");
        return file.ReadFloat32(name);
    }

    static string ModeName(NormalizationMode mode) => mode == NormalizationMode.PerLayer ? PerLayerName : PerParameterName;
}

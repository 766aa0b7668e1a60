using RawDiffusion.IO;
using RawDiffusion.Tests.Data;
using RawDiffusion.Zoo;
using static RawDiffusion.Tests.Zoo.VectorizerReference;

namespace RawDiffusion.Tests.Zoo;

public class NormalizationStatsTests
{
    const int Models = 6;

    static readonly TensorSpec[] Specs = [new("0.weight", [4, 5]), new("0.bias", [4]), new("2.weight", [3, 4]), new("2.bias", [3])];

    /// <summary>A model-wise layout with padding and layer-wise layouts whose chunks split and pad tensors.</summary>
    public static TheoryData<string> Layouts => new("model-wise+9", "layer-wise 7", "layer-wise 1", "layer-wise 64");

    static (WeightVectorizer Layout, (string Tensor, int Element)?[] Positions) Make(string name)
    {
        int parameters = (int)Specs.Sum(s => s.Numel);
        if (name == "model-wise+9") return (WeightVectorizer.ModelWise(Specs, parameters + 9), ModelWisePositions(Specs, parameters + 9));
        int chunk = int.Parse(name.Split(' ')[1]);
        return (WeightVectorizer.LayerWise(Specs, chunk), LayerWisePositions(Specs, chunk));
    }

    static List<Dictionary<string, float[]>> Zoo(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, Models).Select(_ => RandomWeights(Specs, random)).ToList();
    }

    static float[] Matrix(WeightVectorizer layout, List<Dictionary<string, float[]>> zoo) =>
        layout.FlattenMany(zoo.Cast<IReadOnlyDictionary<string, float[]>>().ToList());

    static void Close(double expected, double actual, double rtol, string what, double atol = 1e-12) =>
        Assert.True(Math.Abs(expected - actual) <= rtol * Math.Abs(expected) + atol, $"{what}: expected {expected}, got {actual}");

    /// <summary>
    /// The reference standardises with exact double statistics, the class with the float32 ones it saves; rounding the
    /// mean to float moves z by up to 2^-24 |mean| / std, and the result is rounded to float.
    /// </summary>
    static void CloseNormalized(double x, double mean, double std, float z, string what) =>
        Close((x - mean) / std, z, 1e-6, what, 1e-6 * (Math.Abs(x) + Math.Abs(mean)) / std);

    [Theory]
    [MemberData(nameof(Layouts))]
    public void PerLayerStatisticsMatchANaiveDoubleLoopOverEachTensor(string name)
    {
        var (layout, positions) = Make(name);
        var zoo = Zoo(1);
        var matrix = Matrix(layout, zoo);
        var stats = NormalizationStats.Fit(layout, matrix, NormalizationMode.PerLayer);
        Assert.Equal(Specs.Length, stats.Mean.Count);
        Assert.Equal(Models, stats.SampleCount);

        var expectedMean = new Dictionary<string, double>();
        var expectedStd = new Dictionary<string, double>();
        for (int t = 0; t < Specs.Length; t++)
        {
            string tensor = Specs[t].Name;
            double sum = 0, count = 0;
            foreach (var model in zoo) foreach (float x in model[tensor]) { sum += x; count++; }
            double mean = sum / count, squares = 0;
            foreach (var model in zoo) foreach (float x in model[tensor]) squares += (x - mean) * (x - mean);
            expectedMean[tensor] = mean;
            expectedStd[tensor] = Math.Max(Math.Sqrt(squares / count), NormalizationStats.MinStd);
            Close(mean, stats.Mean[t], 1e-6, $"mean of {tensor}");
            Close(expectedStd[tensor], stats.Std[t], 1e-6, $"std of {tensor}");
        }

        stats.Normalize(matrix);
        for (int m = 0; m < Models; m++)
            for (int i = 0; i < layout.VectorLength; i++)
            {
                float z = matrix[m * layout.VectorLength + i];
                if (positions[i] is not { } p) { Assert.Equal(0f, z); continue; }
                CloseNormalized(zoo[m][p.Tensor][p.Element], expectedMean[p.Tensor], expectedStd[p.Tensor], z, $"model {m} position {i}");
            }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void PerParameterStatisticsMatchANaiveDoubleLoopOverEachPosition(string name)
    {
        var (layout, positions) = Make(name);
        var zoo = Zoo(2);
        var matrix = Matrix(layout, zoo);
        var stats = NormalizationStats.Fit(layout, matrix, NormalizationMode.PerParameter);
        Assert.Equal(layout.VectorLength, stats.Mean.Count);

        var original = (float[])matrix.Clone();
        stats.Normalize(matrix);
        for (int i = 0; i < layout.VectorLength; i++)
        {
            if (positions[i] is not { } p)
            {
                Assert.Equal((0f, 1f), (stats.Mean[i], stats.Std[i]));
                for (int m = 0; m < Models; m++) Assert.Equal(0f, matrix[m * layout.VectorLength + i]);
                continue;
            }
            double sum = 0;
            for (int m = 0; m < Models; m++) sum += zoo[m][p.Tensor][p.Element];
            double mean = sum / Models, squares = 0;
            for (int m = 0; m < Models; m++) squares += (zoo[m][p.Tensor][p.Element] - mean) * (zoo[m][p.Tensor][p.Element] - mean);
            double std = Math.Max(Math.Sqrt(squares / Models), NormalizationStats.MinStd);
            Close(mean, stats.Mean[i], 1e-6, $"mean at {i}");
            Close(std, stats.Std[i], 1e-6, $"std at {i}");
            for (int m = 0; m < Models; m++)
                CloseNormalized(original[m * layout.VectorLength + i], mean, std, matrix[m * layout.VectorLength + i], $"model {m} position {i}");
        }
    }

    [Theory]
    [InlineData(NormalizationMode.PerLayer)]
    [InlineData(NormalizationMode.PerParameter)]
    public void DenormalizeUndoesNormalizeAndKeepsPaddingZero(NormalizationMode mode)
    {
        foreach (var name in new[] { "model-wise+9", "layer-wise 7" })
        {
            var (layout, positions) = Make(name);
            var matrix = Matrix(layout, Zoo(3));
            var stats = NormalizationStats.Fit(layout, matrix, mode);
            var work = (float[])matrix.Clone();
            stats.Normalize(work);
            stats.Denormalize(work);
            for (int k = 0; k < matrix.Length; k++)
            {
                double x = matrix[k];
                double scale = Math.Abs(x) + Math.Abs(x - MeanAt(stats, k % layout.VectorLength));
                Assert.True(Math.Abs(work[k] - x) <= 1e-6 * scale, $"{name} {mode} value {k}: {x} came back as {work[k]}");
            }

            // A sampled vector has noise in its padding; denormalising must not turn it into weights.
            var sampled = Enumerable.Range(0, layout.VectorLength).Select(i => 0.5f + i).ToArray();
            stats.Denormalize(sampled);
            for (int i = 0; i < layout.VectorLength; i++)
                if (positions[i] is null) Assert.Equal(0f, sampled[i]);
        }
    }

    static double MeanAt(NormalizationStats stats, int position) => stats.Mode == NormalizationMode.PerParameter
        ? stats.Mean[position]
        : stats.Layout.Segments.FirstOrDefault(s => position >= s.VectorOffset && position < s.VectorOffset + s.Length) is { } s ? stats.Mean[s.TensorIndex] : 0;

    [Theory]
    [InlineData(NormalizationMode.PerLayer)]
    [InlineData(NormalizationMode.PerParameter)]
    public void ConstantWeightsGetTheFlooredStdAndNormaliseToZero(NormalizationMode mode)
    {
        var layout = WeightVectorizer.LayerWise(Specs, 8);
        var constant = Specs.ToDictionary(s => s.Name, s => Enumerable.Repeat(0.123f, (int)s.Numel).ToArray());
        var matrix = Matrix(layout, [constant, constant, constant]);
        var stats = NormalizationStats.Fit(layout, matrix, mode);
        var padding = layout.PaddingMask();
        for (int i = 0; i < stats.Std.Count; i++)
            Assert.Equal(mode == NormalizationMode.PerParameter && padding[i] ? 1f : (float)NormalizationStats.MinStd, stats.Std[i]);
        stats.Normalize(matrix);
        Assert.All(matrix, z => Assert.Equal(0f, z));
    }

    [Theory]
    [InlineData(NormalizationMode.PerLayer)]
    [InlineData(NormalizationMode.PerParameter)]
    public void SavedStatisticsLoadBackAndNormaliseIdentically(NormalizationMode mode)
    {
        using var folder = new TempFolder();
        foreach (var name in new[] { "model-wise+9", "layer-wise 7" })
        {
            var (layout, _) = Make(name);
            var matrix = Matrix(layout, Zoo(4));
            var stats = NormalizationStats.Fit(layout, matrix, mode);
            string path = folder.File("normalization.safetensors");
            stats.Save(path);
            var loaded = NormalizationStats.Load(path, layout);
            Assert.Equal(mode, loaded.Mode);
            Assert.Equal(layout, loaded.Layout);
            Assert.Equal(Models, loaded.SampleCount);
            Assert.Equal(Bits(stats.Mean.ToArray()), Bits(loaded.Mean.ToArray()));
            Assert.Equal(Bits(stats.Std.ToArray()), Bits(loaded.Std.ToArray()));

            var fitted = (float[])matrix.Clone();
            var reloaded = (float[])matrix.Clone();
            stats.Normalize(fitted);
            loaded.Normalize(reloaded);
            Assert.Equal(Bits(fitted), Bits(reloaded));
            Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp"));
        }
    }

    [Fact]
    public void FittingTheListOverloadEqualsFittingTheMatrix()
    {
        var (layout, _) = Make("layer-wise 7");
        var zoo = Zoo(5);
        var fromMatrix = NormalizationStats.Fit(layout, Matrix(layout, zoo), NormalizationMode.PerLayer);
        var fromList = NormalizationStats.Fit(layout, zoo.Select(layout.Flatten).ToList(), NormalizationMode.PerLayer);
        Assert.Equal(Bits(fromMatrix.Mean.ToArray()), Bits(fromList.Mean.ToArray()));
        Assert.Equal(Bits(fromMatrix.Std.ToArray()), Bits(fromList.Std.ToArray()));
    }

    [Fact]
    public void BadFitAndNormaliseArgumentsAreRefused()
    {
        var (layout, _) = Make("layer-wise 7");
        int length = layout.VectorLength;
        Assert.Contains($"vector length {length}", Assert.Throws<ArgumentException>(() => NormalizationStats.Fit(layout, new float[length + 1], NormalizationMode.PerLayer)).Message);
        Assert.Contains("0 values", Assert.Throws<ArgumentException>(() => NormalizationStats.Fit(layout, ReadOnlySpan<float>.Empty, NormalizationMode.PerLayer)).Message);
        Assert.Contains($"vector 1 has {length - 1} values", Assert.Throws<ArgumentException>(() =>
            NormalizationStats.Fit(layout, [new float[length], new float[length - 1]], NormalizationMode.PerParameter)).Message);

        var matrix = new float[2 * length];
        matrix[length + 8] = float.NaN;
        var nan = Assert.Throws<ArgumentException>(() => NormalizationStats.Fit(layout, matrix, NormalizationMode.PerLayer));
        Assert.Contains("vector 1, position 8 (tensor \"0.weight\" value 8) is NaN", nan.Message);

        var stats = NormalizationStats.Fit(layout, new float[length], NormalizationMode.PerLayer);
        Assert.Contains($"{length + 3} values", Assert.Throws<ArgumentException>(() => stats.Normalize(new float[length + 3])).Message);
        Assert.Contains("0 values", Assert.Throws<ArgumentException>(() => stats.Denormalize(Span<float>.Empty)).Message);
    }

    /// <summary>Rewrites a valid statistics file with some metadata entries changed and/or other tensors.</summary>
    static void Rewrite(string source, string target, Action<Dictionary<string, string>>? metadata = null, Func<List<SafeTensorEntry>, List<SafeTensorEntry>>? tensors = null)
    {
        Dictionary<string, string> entries;
        List<SafeTensorEntry> data;
        using (var file = SafeTensorsFile.Open(source))
        {
            entries = new Dictionary<string, string>(file.Metadata);
            data = file.Tensors.Select(t => new SafeTensorEntry(t.Name, t.Shape, file.ReadFloat32(t.Name))).ToList();
        }
        metadata?.Invoke(entries);
        SafeTensorsWriter.Write(target, tensors?.Invoke(data) ?? data, entries);
    }

    public static TheoryData<string, string> Corruptions => new()
    {
        { "format", "metadata \"format\" is \"checkpoint\"" },
        { "mode", "metadata \"mode\" is \"per-channel\"" },
        { "no-layout", "metadata \"layout\" is missing" },
        { "bad-layout", "metadata \"layout\": field \"chunkSize\"" },
        { "samples", "metadata \"samples\" is \"-4\"" },
        { "no-std", "tensor \"std\" is missing" },
        { "short-mean", "tensor \"mean\" has shape [3]" },
        { "zero-std", "tensor \"std\"[2] is 0" },
        { "nan-mean", "tensor \"mean\"[1] is NaN" },
        { "extra", "unexpected tensor \"variance\"" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void CorruptedStatisticsFilesAreRefusedNamingFileAndEntry(string corruption, string expected)
    {
        using var folder = new TempFolder();
        var (layout, _) = Make("layer-wise 7");
        string good = folder.File("good.safetensors"), bad = folder.File("bad.safetensors");
        NormalizationStats.Fit(layout, Matrix(layout, Zoo(6)), NormalizationMode.PerLayer).Save(good);
        static List<SafeTensorEntry> Replace(List<SafeTensorEntry> data, string name, Func<float[], float[]> change) =>
            data.Select(t => t.Name == name ? new SafeTensorEntry(name, [change(t.Data).Length], change(t.Data)) : t).ToList();
        switch (corruption)
        {
            case "format": Rewrite(good, bad, m => m["format"] = "checkpoint"); break;
            case "mode": Rewrite(good, bad, m => m["mode"] = "per-channel"); break;
            case "no-layout": Rewrite(good, bad, m => m.Remove("layout")); break;
            case "bad-layout": Rewrite(good, bad, m => m["layout"] = m["layout"].Replace("\"chunkSize\": 7", "\"chunkSize\": \"7\"")); break;
            case "samples": Rewrite(good, bad, m => m["samples"] = "-4"); break;
            case "no-std": Rewrite(good, bad, tensors: d => d.Where(t => t.Name != "std").ToList()); break;
            case "short-mean": Rewrite(good, bad, tensors: d => Replace(d, "mean", v => v[..3])); break;
            case "zero-std": Rewrite(good, bad, tensors: d => Replace(d, "std", v => { var c = (float[])v.Clone(); c[2] = 0; return c; })); break;
            case "nan-mean": Rewrite(good, bad, tensors: d => Replace(d, "mean", v => { var c = (float[])v.Clone(); c[1] = float.NaN; return c; })); break;
            case "extra": Rewrite(good, bad, tensors: d => [.. d, new SafeTensorEntry("variance", [1], [1f])]); break;
        }
        var error = Assert.ThrowsAny<FormatException>(() => NormalizationStats.Load(bad));
        Assert.Contains(bad, error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void UnreadableOrMismatchedFilesAreRefused()
    {
        using var folder = new TempFolder();
        var (layout, _) = Make("layer-wise 7");
        string good = folder.File("good.safetensors");
        NormalizationStats.Fit(layout, Matrix(layout, Zoo(7)), NormalizationMode.PerParameter).Save(good);

        string garbage = folder.File("garbage.safetensors");
        File.WriteAllBytes(garbage, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        Assert.Contains("garbage.safetensors", Assert.ThrowsAny<FormatException>(() => NormalizationStats.Load(garbage)).Message);

        string truncated = folder.File("truncated.safetensors");
        var bytes = File.ReadAllBytes(good);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length - 5)]);
        Assert.Contains("truncated.safetensors", Assert.ThrowsAny<FormatException>(() => NormalizationStats.Load(truncated)).Message);

        var mismatch = Assert.Throws<FormatException>(() => NormalizationStats.Load(good, WeightVectorizer.LayerWise(Specs, 8)));
        Assert.Contains("different layout", mismatch.Message);

        string absent = folder.File("absent.safetensors");
        Assert.Contains(absent, Assert.Throws<FileNotFoundException>(() => NormalizationStats.Load(absent)).Message);
    }
}

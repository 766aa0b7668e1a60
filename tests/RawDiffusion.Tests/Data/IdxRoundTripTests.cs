using RawDiffusion.Data;

namespace RawDiffusion.Tests.Data;

public class IdxRoundTripTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static ByteImages SampleImages()
    {
        var pixels = new byte[3 * 4 * 5];
        new Random(7).NextBytes(pixels);
        return new ByteImages(3, 4, 5, pixels);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ImagesAndLabelsRoundTrip(bool compress)
    {
        var images = SampleImages();
        byte[] labels = [2, 0, 9];
        string imagesPath = _temp.File("images"), labelsPath = _temp.File("labels");

        IdxWriter.WriteImages(imagesPath, images, compress);
        IdxWriter.WriteLabels(labelsPath, labels, compress);
        var read = IdxReader.ReadImages(imagesPath);

        Assert.Equal((3, 4, 5), (read.Count, read.Height, read.Width));
        Assert.Equal(images.Pixels, read.Pixels);
        Assert.Equal(labels, IdxReader.ReadLabels(labelsPath));
    }

    [Fact]
    public void WriterProducesGzipOrThePlainIdxHeader()
    {
        IdxWriter.WriteImages(_temp.File("a"), SampleImages(), compress: true);
        IdxWriter.WriteImages(_temp.File("b"), SampleImages(), compress: false);

        Assert.Equal(new byte[] { 0x1F, 0x8B }, File.ReadAllBytes(_temp.File("a"))[..2]);
        Assert.Equal(new byte[] { 0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5 }, File.ReadAllBytes(_temp.File("b"))[..16]);
    }

    [Fact]
    public void CompressionIsDetectedByContentNotByName()
    {
        var images = SampleImages();
        string gzipWithoutSuffix = _temp.File("images.idx"), plainWithGzSuffix = _temp.File("images.gz");
        IdxWriter.WriteImages(gzipWithoutSuffix, images, compress: true);
        IdxWriter.WriteImages(plainWithGzSuffix, images, compress: false);

        Assert.Equal(images.Pixels, IdxReader.ReadImages(gzipWithoutSuffix).Pixels);
        Assert.Equal(images.Pixels, IdxReader.ReadImages(plainWithGzSuffix).Pixels);
    }

    [Fact]
    public void ReadLabeledScalesGreyLevelsToUnitRange()
    {
        var images = new ByteImages(2, 1, 2, [0, 255, 51, 128]);
        IdxWriter.WriteImages(_temp.File("i.gz"), images);
        IdxWriter.WriteLabels(_temp.File("l.gz"), [1, 0]);

        var data = IdxReader.ReadLabeled(_temp.File("i.gz"), _temp.File("l.gz"), ["a", "b"]);

        Assert.Equal([0f, 1f, 0.2f, 128 / 255f], data.Pixels);
        Assert.Equal([1, 0], data.Labels);
        Assert.Equal(["a", "b"], data.ClassNames);
    }
}

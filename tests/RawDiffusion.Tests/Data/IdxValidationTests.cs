using System.IO.Compression;
using RawDiffusion.Data;

namespace RawDiffusion.Tests.Data;

public class IdxValidationTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    // An image header for count images of rows x cols, followed by the given number of data bytes.
    private static byte[] ImageFile(int count, int rows, int cols, int dataBytes, uint magic = 0x00000803)
    {
        var bytes = new byte[16 + dataBytes];
        WriteBigEndian(bytes, 0, magic);
        WriteBigEndian(bytes, 4, (uint)count);
        WriteBigEndian(bytes, 8, (uint)rows);
        WriteBigEndian(bytes, 12, (uint)cols);
        return bytes;
    }

    private static void WriteBigEndian(byte[] bytes, int offset, uint value) =>
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(offset), value);

    private string Write(string name, byte[] content, bool compress = false)
    {
        string path = _temp.File(name);
        if (!compress)
        {
            File.WriteAllBytes(path, content);
            return path;
        }
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(content);
        return path;
    }

    private static string RejectedImages(string path)
    {
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.StartsWith(path + ": ", e.Message);
        return e.Message;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BadMagicIsRejected(bool compress)
    {
        string path = Write("bad-magic", ImageFile(1, 2, 2, 4, magic: 0x12340803), compress);
        Assert.Contains("bad magic number 0x12340803", RejectedImages(path));
    }

    [Fact]
    public void ElementTypesOtherThanUnsignedByteAreRejected()
    {
        string path = Write("float-type", ImageFile(1, 2, 2, 4, magic: 0x00000D03));
        Assert.Contains("element type 0x0D", RejectedImages(path));
    }

    [Fact]
    public void WrongDimensionCountIsRejected()
    {
        string labels = _temp.File("labels");
        IdxWriter.WriteLabels(labels, [1, 2, 3]);
        Assert.Contains("declares 1 dimensions, but an image file has 3", RejectedImages(labels));

        string images = Write("images", ImageFile(1, 2, 2, 4));
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(images));
        Assert.StartsWith(images + ": ", e.Message);
        Assert.Contains("declares 3 dimensions, but a label file has 1", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedPayloadIsRejected(bool compress)
    {
        string path = Write("truncated", ImageFile(3, 2, 2, 11), compress);
        Assert.Contains("truncated: the header declares 3 x 2 x 2 = 12 bytes of data but only 11 follow", RejectedImages(path));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ExtraBytesAreRejected(bool compress)
    {
        string path = Write("extra", ImageFile(3, 2, 2, 14), compress);
        Assert.Contains("2 extra bytes after the 12 bytes of data", RejectedImages(path));
    }

    [Fact]
    public void FileEndingInsideTheHeaderIsRejected()
    {
        string path = Write("short-header", ImageFile(3, 2, 2, 0)[..10]);
        Assert.Contains("ends inside the header", RejectedImages(path));
        string empty = Write("empty", []);
        Assert.Contains("is 0 bytes long", RejectedImages(empty));
    }

    [Fact]
    public void ImagesWithoutPixelsAreRejected()
    {
        string path = Write("no-columns", ImageFile(3, 2, 0, 0));
        Assert.Contains("image size 2x0 has no pixels", RejectedImages(path));
    }

    [Fact]
    public void CutGzipStreamIsRejected()
    {
        string whole = _temp.File("whole.gz");
        var pixels = new byte[50 * 28 * 28];
        new Random(3).NextBytes(pixels);
        IdxWriter.WriteImages(whole, new ByteImages(50, 28, 28, pixels));
        byte[] content = File.ReadAllBytes(whole);
        string cut = Write("cut.gz", content[..(content.Length / 2)]);

        RejectedImages(cut);
    }

    [Fact]
    public void ImageAndLabelCountMismatchIsRejected()
    {
        string images = Write("images", ImageFile(3, 2, 2, 12));
        string labels = _temp.File("labels");
        IdxWriter.WriteLabels(labels, [0, 1]);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabeled(images, labels, ["a", "b"]));

        Assert.StartsWith(images + ": ", e.Message);
        Assert.Contains("3 images", e.Message);
        Assert.Contains($"{labels} holds 2 labels", e.Message);
    }

    [Fact]
    public void LabelOutsideTheClassesIsRejected()
    {
        string images = Write("images", ImageFile(3, 2, 2, 12));
        string labels = _temp.File("labels");
        IdxWriter.WriteLabels(labels, [0, 1, 2]);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabeled(images, labels, ["a", "b"]));

        Assert.StartsWith(labels + ": ", e.Message);
        Assert.Contains("label 2 at index 2 is not a class index (0..1)", e.Message);
    }
}

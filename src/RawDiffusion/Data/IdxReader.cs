using System.Buffers.Binary;
using System.IO.Compression;

namespace RawDiffusion.Data;

/// <summary>
/// Reads IDX files (the MNIST / Fashion-MNIST format): a big-endian magic number
/// 0x0000TTDD (TT element type, DD dimension count), DD big-endian 32-bit sizes, then the
/// elements. Only unsigned-byte images [n, rows, cols] and labels [n] are supported.
/// Files may be gzip-compressed; that is recognised by the gzip signature, not by the name,
/// because downloaded copies are often renamed or already unpacked.
/// Every malformed file raises <see cref="InvalidDataException"/> with a message that starts
/// with the file path and says what is wrong.
/// </summary>
public static class IdxReader
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;
    private const byte UnsignedByteType = 0x08;

    public static ByteImages ReadImages(string path)
    {
        var (dimensions, data) = Read(path, ImagesMagic);
        if (dimensions[1] == 0 || dimensions[2] == 0)
            throw Invalid(path, $"image size {dimensions[1]}x{dimensions[2]} has no pixels");
        return new ByteImages(dimensions[0], dimensions[1], dimensions[2], data);
    }

    public static byte[] ReadLabels(string path) => Read(path, LabelsMagic).Data;

    /// <summary>
    /// Reads an image file and its label file, checks that they hold the same number of
    /// entries and that every label names one of <paramref name="classNames"/>.
    /// </summary>
    public static LabeledImages ReadLabeled(string imagesPath, string labelsPath, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        var images = ReadImages(imagesPath);
        var labels = ReadLabels(labelsPath);
        if (labels.Length != images.Count)
            throw Invalid(imagesPath, $"holds {images.Count} images but its label file {labelsPath} holds {labels.Length} labels");
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= classNames.Count)
                throw Invalid(labelsPath, $"label {labels[i]} at index {i} is not a class index (0..{classNames.Count - 1})");
        }
        return LabeledImages.FromBytes(images, labels, classNames);
    }

    private static (int[] Dimensions, byte[] Data) Read(string path, int expectedMagic)
    {
        ArgumentNullException.ThrowIfNull(path);
        ReadOnlySpan<byte> content = ReadDecompressed(path);
        int expectedDimensionCount = expectedMagic & 0xFF;
        string expectedKind = expectedMagic == ImagesMagic ? "an image file" : "a label file";

        if (content.Length < 4)
            throw Invalid(path, $"is {content.Length} bytes long, too short for the 4-byte IDX magic number");
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(content);
        if (content[0] != 0 || content[1] != 0)
            throw Invalid(path, $"bad magic number 0x{magic:X8}: not an IDX file (expected 0x{expectedMagic:X8} for {expectedKind})");
        if (content[2] != UnsignedByteType)
            throw Invalid(path, $"magic number 0x{magic:X8} declares element type 0x{content[2]:X2}, but only unsigned bytes (0x08) are supported");
        if (content[3] != expectedDimensionCount)
            throw Invalid(path, $"magic number 0x{magic:X8} declares {content[3]} dimensions, but {expectedKind} has {expectedDimensionCount} (magic 0x{expectedMagic:X8})");

        int headerLength = 4 + 4 * expectedDimensionCount;
        if (content.Length < headerLength)
            throw Invalid(path, $"ends inside the header: {expectedDimensionCount} dimensions need {headerLength} header bytes but the file has {content.Length}");
        var dimensions = new int[expectedDimensionCount];
        long declaredLength = 1;
        for (int d = 0; d < expectedDimensionCount; d++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(content[(4 + 4 * d)..]);
            if (size > int.MaxValue)
                throw Invalid(path, $"dimension {d} has size {size}, which is not a valid count");
            dimensions[d] = (int)size;
            declaredLength *= size;
            if (declaredLength > Array.MaxLength)
                throw Invalid(path, $"header declares {Shape(dimensions, d + 1)}, more bytes than one array can hold");
        }

        long dataLength = content.Length - headerLength;
        if (dataLength < declaredLength)
            throw Invalid(path, $"truncated: the header declares {Shape(dimensions, dimensions.Length)} = {declaredLength} bytes of data but only {dataLength} follow");
        if (dataLength > declaredLength)
            throw Invalid(path, $"{dataLength - declaredLength} extra bytes after the {declaredLength} bytes of data declared by the header ({Shape(dimensions, dimensions.Length)})");
        return (dimensions, content[headerLength..].ToArray());
    }

    private static ArraySegment<byte> ReadDecompressed(string path)
    {
        byte[] raw = File.ReadAllBytes(path);
        if (raw.Length < 2 || raw[0] != 0x1F || raw[1] != 0x8B)
            return raw;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(raw, writable: false), CompressionMode.Decompress);
            using var decompressed = new MemoryStream(DecompressedSizeHint(raw));
            gzip.CopyTo(decompressed);
            return new ArraySegment<byte>(decompressed.GetBuffer(), 0, (int)decompressed.Length);
        }
        catch (InvalidDataException e)
        {
            throw Invalid(path, $"gzip data is corrupt ({e.Message})", e);
        }
    }

    // A gzip file ends with its uncompressed size modulo 2^32. Sizing the buffer from it spares the
    // repeated regrowth of a 47 MB training file. It is only a hint: a damaged or multi-member file
    // may end in any value, so it is trusted only up to a ratio real IDX files stay well below
    // (about 2x for Fashion-MNIST images, 5x for MNIST digits), which bounds what a bad file can
    // make us allocate; beyond that the buffer simply grows as data arrives.
    private static int DecompressedSizeHint(byte[] gzip)
    {
        const int MaxTrustedRatio = 16;
        int fallback = (int)Math.Min((long)gzip.Length * 4, Array.MaxLength);
        if (gzip.Length < 18)
            return fallback;
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(gzip.AsSpan(gzip.Length - 4));
        return size <= Math.Min((long)gzip.Length * MaxTrustedRatio, Array.MaxLength) ? (int)size : fallback;
    }

    private static string Shape(int[] dimensions, int count) => string.Join(" x ", dimensions.Take(count));

    private static InvalidDataException Invalid(string path, string problem, Exception? inner = null) =>
        new($"{path}: {problem}", inner);
}

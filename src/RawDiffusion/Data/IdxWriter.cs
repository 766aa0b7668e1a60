using System.Buffers.Binary;
using System.IO.Compression;

namespace RawDiffusion.Data;

/// <summary>
/// Writes unsigned-byte IDX image and label files in the layout <see cref="IdxReader"/> reads,
/// gzip-compressed by default like the official MNIST / Fashion-MNIST downloads.
/// </summary>
public static class IdxWriter
{
    public static void WriteImages(string path, ByteImages images, bool compress = true)
    {
        ArgumentNullException.ThrowIfNull(images);
        Span<byte> header = stackalloc byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header, IdxReader.ImagesMagic);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], images.Count);
        BinaryPrimitives.WriteInt32BigEndian(header[8..], images.Height);
        BinaryPrimitives.WriteInt32BigEndian(header[12..], images.Width);
        Write(path, header, images.Pixels, compress);
    }

    public static void WriteLabels(string path, ReadOnlySpan<byte> labels, bool compress = true)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, IdxReader.LabelsMagic);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], labels.Length);
        Write(path, header, labels, compress);
    }

    private static void Write(string path, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data, bool compress)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = File.Create(path);
        using Stream output = compress ? new GZipStream(file, CompressionLevel.SmallestSize) : file;
        output.Write(header);
        output.Write(data);
    }
}

namespace RawDiffusion.Data;

/// <summary>
/// Greyscale images as stored on disk: one unsigned byte per pixel, row-major [Count, Height, Width].
/// Kept separate from <see cref="LabeledImages"/> so provenance checks can compare bytes exactly.
/// </summary>
public sealed class ByteImages
{
    public ByteImages(int count, int height, int width, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentNullException.ThrowIfNull(pixels);
        if ((long)count * height * width != pixels.Length)
            throw new ArgumentException(
                $"{count} images of {height}x{width} need {(long)count * height * width} bytes, got {pixels.Length}.", nameof(pixels));
        Count = count;
        Height = height;
        Width = width;
        Pixels = pixels;
    }

    public int Count { get; }
    public int Height { get; }
    public int Width { get; }
    public int PixelsPerImage => Height * Width;

    /// <summary>All pixels, image after image, each image row by row.</summary>
    public byte[] Pixels { get; }

    public ReadOnlySpan<byte> Image(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);
    }
}

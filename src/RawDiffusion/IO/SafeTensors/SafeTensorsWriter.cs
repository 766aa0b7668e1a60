using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace RawDiffusion.IO;

/// <summary>Writes safetensors files the way the reference writer lays them out.</summary>
public static class SafeTensorsWriter
{
    /// <summary>The reference writer pads the header so the data buffer starts 8-byte aligned.</summary>
    private const int DataAlignment = 8;

    private const int ChunkBytes = 1 << 16;

    /// <summary>
    /// Writes <paramref name="tensors"/> (data in the given order) stored as <paramref name="dtype"/>,
    /// which must be F32 or BF16 (round to nearest even). All inputs are validated before anything
    /// is written, and the file is replaced atomically, so an existing file is never left
    /// half-written.
    /// </summary>
    public static void Write(
        string path,
        IReadOnlyList<SafeTensorEntry> tensors,
        IReadOnlyDictionary<string, string>? metadata = null,
        SafeTensorDType dtype = SafeTensorDType.F32)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        if (dtype is not (SafeTensorDType.F32 or SafeTensorDType.BF16))
        {
            throw new ArgumentException(
                $"SafeTensorsWriter stores F32 or BF16, not {dtype}; convert the data first.", nameof(dtype));
        }
        ValidateTensors(tensors);
        ValidateMetadata(metadata);

        byte[] header = BuildHeader(tensors, metadata, dtype);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> lengthPrefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(lengthPrefix, (ulong)header.Length);
            stream.Write(lengthPrefix);
            stream.Write(header);
            var chunk = new byte[ChunkBytes];
            foreach (SafeTensorEntry tensor in tensors)
            {
                WriteData(stream, tensor.Data, dtype, chunk);
            }
        });
    }

    private static void ValidateTensors(IReadOnlyList<SafeTensorEntry> tensors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int index = 0; index < tensors.Count; index++)
        {
            SafeTensorEntry tensor = tensors[index]
                ?? throw new ArgumentException($"Tensor entry {index} is null.", nameof(tensors));
            if (tensor.Name is null)
            {
                throw new ArgumentException($"Tensor entry {index} has a null name.", nameof(tensors));
            }
            if (tensor.Name == SafeTensorsHeader.MetadataKey)
            {
                throw new ArgumentException(
                    $"A tensor cannot be named '{SafeTensorsHeader.MetadataKey}'; that key holds the file's metadata.", nameof(tensors));
            }
            if (!names.Add(tensor.Name))
            {
                throw new ArgumentException($"Tensor name '{tensor.Name}' appears more than once.", nameof(tensors));
            }
            if (tensor.Shape is null || tensor.Data is null)
            {
                throw new ArgumentException($"Tensor '{tensor.Name}' has a null shape or null data.", nameof(tensors));
            }
            if (tensor.Shape.Any(dimension => dimension < 0))
            {
                throw new ArgumentException(
                    $"Tensor '{tensor.Name}' has shape {Shapes.Format(tensor.Shape)} with a negative dimension.", nameof(tensors));
            }
            if (!Shapes.TryGetElementCount(tensor.Shape, out long elementCount) || elementCount != tensor.Data.Length)
            {
                throw new ArgumentException(
                    $"Tensor '{tensor.Name}' has shape {Shapes.Format(tensor.Shape)} but {tensor.Data.Length} data values.", nameof(tensors));
            }
        }
    }

    private static void ValidateMetadata(IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null)
        {
            return;
        }
        foreach ((string key, string value) in metadata)
        {
            if (value is null)
            {
                throw new ArgumentException($"Metadata entry '{key}' has a null value.", nameof(metadata));
            }
        }
    }

    private static byte[] BuildHeader(IReadOnlyList<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata, SafeTensorDType dtype)
    {
        var json = new ArrayBufferWriter<byte>();
        // Relaxed escaping keeps non-ASCII names readable; it still escapes quotes and control characters.
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(SafeTensorsHeader.MetadataKey);
                foreach ((string key, string value) in metadata)
                {
                    writer.WriteString(key, value);
                }
                writer.WriteEndObject();
            }
            long offset = 0;
            int elementSize = dtype.SizeInBytes();
            foreach (SafeTensorEntry tensor in tensors)
            {
                long end = offset + (long)tensor.Data.Length * elementSize;
                writer.WriteStartObject(tensor.Name);
                writer.WriteString("dtype", dtype.HeaderName());
                writer.WriteStartArray("shape");
                foreach (long dimension in tensor.Shape)
                {
                    writer.WriteNumberValue(dimension);
                }
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(end);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset = end;
            }
            writer.WriteEndObject();
        }

        int paddedLength = (json.WrittenCount + DataAlignment - 1) / DataAlignment * DataAlignment;
        var header = new byte[paddedLength];
        json.WrittenSpan.CopyTo(header);
        header.AsSpan(json.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteData(Stream stream, float[] data, SafeTensorDType dtype, byte[] chunk)
    {
        int elementSize = dtype.SizeInBytes();
        int elementsPerChunk = chunk.Length / elementSize;
        // Advancing by the count just written keeps start <= data.Length, so it never overflows.
        int start = 0;
        while (start < data.Length)
        {
            int count = Math.Min(elementsPerChunk, data.Length - start);
            Span<byte> bytes = chunk.AsSpan(0, count * elementSize);
            Encode(data.AsSpan(start, count), dtype, bytes);
            stream.Write(bytes);
            start += count;
        }
    }

    private static void Encode(ReadOnlySpan<float> values, SafeTensorDType dtype, Span<byte> bytes)
    {
        if (dtype == SafeTensorDType.F32)
        {
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes[(4 * i)..], values[i]);
            }
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(bytes[(2 * i)..], BFloat16Bits.FromSingle(values[i]));
            }
        }
    }
}

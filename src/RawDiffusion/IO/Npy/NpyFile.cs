using System.Buffers.Binary;
using System.Text;

namespace RawDiffusion.IO;

/// <summary>
/// Reads and writes NumPy .npy files: the magic "\x93NUMPY", a major/minor version, the header
/// length (u16 in version 1, u32 in versions 2 and 3), the header dict padded with spaces and a
/// final newline so the data starts aligned, then the raw data.
/// </summary>
public static class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>numpy aligns the data start to 64 bytes (16 in old files; the reader accepts any).</summary>
    private const int DataAlignment = 64;

    private delegate void ElementEncoder<T>(Span<byte> destination, T value);

    /// <summary>
    /// Reads a version 1, 2 or 3 file with a little-endian (or 1-byte) numeric or bool dtype.
    /// Fortran-ordered data is transposed, so the result is always row-major. Bytes after the
    /// data are ignored, as numpy does, since several arrays may be saved into one stream.
    /// </summary>
    public static NpyArray Read(string path)
    {
        string fullPath = Path.GetFullPath(path);
        using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read);
        long fileLength = stream.Length;

        Span<byte> prefix = stackalloc byte[Magic.Length + 2];
        int prefixBytes = stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false);
        if (prefixBytes < Magic.Length || !prefix[..Magic.Length].SequenceEqual(Magic))
        {
            throw new NpyFormatException(fullPath, "not a .npy file: it does not start with the magic bytes \\x93NUMPY");
        }
        if (prefixBytes < prefix.Length)
        {
            throw new NpyFormatException(fullPath, $"file is {fileLength} bytes long and ends inside the version bytes");
        }
        byte major = prefix[Magic.Length];
        byte minor = prefix[Magic.Length + 1];
        if (major is not (1 or 2 or 3) || minor != 0)
        {
            throw new NpyFormatException(fullPath, $"unsupported .npy format version {major}.{minor} (supported: 1.0, 2.0, 3.0)");
        }

        int lengthFieldBytes = major == 1 ? 2 : 4;
        Span<byte> lengthField = stackalloc byte[lengthFieldBytes];
        if (stream.ReadAtLeast(lengthField, lengthFieldBytes, throwOnEndOfStream: false) < lengthFieldBytes)
        {
            throw new NpyFormatException(fullPath, $"file is {fileLength} bytes long and ends inside the header length field");
        }
        long headerLength = major == 1
            ? BinaryPrimitives.ReadUInt16LittleEndian(lengthField)
            : BinaryPrimitives.ReadUInt32LittleEndian(lengthField);
        long dataOffset = stream.Position + headerLength;
        if (dataOffset > fileLength)
        {
            throw new NpyFormatException(fullPath,
                $"header length {headerLength} runs past the end of the file (the file has {fileLength} bytes, the header needs {dataOffset})");
        }

        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        NpyHeader header = NpyHeader.Parse(fullPath, DecodeHeader(fullPath, headerBytes, major));

        if (!NpyDescr.TryParse(header.Descr, out SafeTensorDType elementType, out string descrProblem))
        {
            throw new NpyFormatException(fullPath, descrProblem);
        }
        string shapeText = NpyHeader.FormatShape(header.Shape);
        int elementSize = elementType.SizeInBytes();
        if (!Shapes.TryGetElementCount(header.Shape, out long elementCount) || elementCount > long.MaxValue / elementSize)
        {
            throw new NpyFormatException(fullPath, $"shape {shapeText} has more elements than 64 bits can count");
        }
        long dataLength = elementCount * elementSize;
        if (dataLength > fileLength - dataOffset)
        {
            throw new NpyFormatException(fullPath,
                $"data truncated: shape {shapeText} of '{header.Descr}' needs {dataLength} bytes after the header, but the file has only {fileLength - dataOffset}");
        }
        if (dataLength > Array.MaxLength)
        {
            throw new NotSupportedException(
                $"{Path.GetFileName(fullPath)}: the data is {dataLength} bytes, more than one .NET array can hold");
        }

        var data = new byte[dataLength];
        stream.ReadExactly(data);
        if (header.FortranOrder && header.Shape.Length > 1)
        {
            data = FortranToRowMajor(data, header.Shape, elementSize);
        }
        return new NpyArray(header.Descr, header.Shape, elementCount, elementType, data);
    }

    /// <summary>Writes '&lt;f4' data in numpy.save's exact layout; replaces the file atomically.</summary>
    public static void Write(string path, float[] data, long[] shape) =>
        Write(path, data, shape, SafeTensorDType.F32, BinaryPrimitives.WriteSingleLittleEndian);

    /// <summary>Writes '&lt;f8' data in numpy.save's exact layout; replaces the file atomically.</summary>
    public static void Write(string path, double[] data, long[] shape) =>
        Write(path, data, shape, SafeTensorDType.F64, BinaryPrimitives.WriteDoubleLittleEndian);

    /// <summary>Writes '&lt;i4' data (e.g. labels) in numpy.save's exact layout; replaces the file atomically.</summary>
    public static void Write(string path, int[] data, long[] shape) =>
        Write(path, data, shape, SafeTensorDType.I32, BinaryPrimitives.WriteInt32LittleEndian);

    /// <summary>Writes '&lt;i8' data (e.g. labels) in numpy.save's exact layout; replaces the file atomically.</summary>
    public static void Write(string path, long[] data, long[] shape) =>
        Write(path, data, shape, SafeTensorDType.I64, BinaryPrimitives.WriteInt64LittleEndian);

    private static void Write<T>(string path, T[] data, long[] shape, SafeTensorDType elementType, ElementEncoder<T> encode)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Any(dimension => dimension < 0)
            || !Shapes.TryGetElementCount(shape, out long elementCount)
            || elementCount != data.Length)
        {
            throw new ArgumentException($"Shape {Shapes.Format(shape)} does not describe {data.Length} values.", nameof(shape));
        }

        byte[] preamble = BuildPreamble(new NpyHeader(NpyDescr.Canonical(elementType), FortranOrder: false, shape));
        int elementSize = elementType.SizeInBytes();
        AtomicFile.Write(path, stream =>
        {
            stream.Write(preamble);
            var chunk = new byte[1 << 16];
            int elementsPerChunk = chunk.Length / elementSize;
            // Advancing by the count just written keeps start <= data.Length, so it never overflows.
            int start = 0;
            while (start < data.Length)
            {
                int count = Math.Min(elementsPerChunk, data.Length - start);
                for (int i = 0; i < count; i++)
                {
                    encode(chunk.AsSpan(i * elementSize), data[start + i]);
                }
                stream.Write(chunk, 0, count * elementSize);
                start += count;
            }
        });
    }

    /// <summary>
    /// Magic, version, header length and padded header, as numpy builds them: version 1 unless the
    /// header outgrows its u16 length, padded with 1 to 64 spaces plus a newline so the data
    /// starts on a 64-byte boundary.
    /// </summary>
    private static byte[] BuildPreamble(NpyHeader header)
    {
        byte[] dict = Encoding.ASCII.GetBytes(header.Format());
        int lengthFieldBytes = 2;
        int paddedLength = PaddedHeaderLength(dict.Length, lengthFieldBytes);
        if (paddedLength > ushort.MaxValue)
        {
            lengthFieldBytes = 4;
            paddedLength = PaddedHeaderLength(dict.Length, lengthFieldBytes);
        }

        int prefixLength = Magic.Length + 2 + lengthFieldBytes;
        var preamble = new byte[prefixLength + paddedLength];
        Magic.CopyTo(preamble, 0);
        preamble[Magic.Length] = (byte)(lengthFieldBytes == 2 ? 1 : 2);
        preamble[Magic.Length + 1] = 0;
        Span<byte> lengthField = preamble.AsSpan(Magic.Length + 2, lengthFieldBytes);
        if (lengthFieldBytes == 2)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(lengthField, (ushort)paddedLength);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(lengthField, (uint)paddedLength);
        }
        dict.CopyTo(preamble, prefixLength);
        preamble.AsSpan(prefixLength + dict.Length).Fill((byte)' ');
        preamble[^1] = (byte)'\n';
        return preamble;
    }

    /// <summary>The dict plus its newline plus numpy's 1..64 spaces (never 0) to reach the alignment.</summary>
    private static int PaddedHeaderLength(int dictLength, int lengthFieldBytes)
    {
        int unpadded = Magic.Length + 2 + lengthFieldBytes + dictLength + 1;
        int padding = DataAlignment - unpadded % DataAlignment;
        return dictLength + 1 + padding;
    }

    private static string DecodeHeader(string filePath, byte[] headerBytes, byte major)
    {
        if (major < 3)
        {
            return Encoding.Latin1.GetString(headerBytes);
        }
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(headerBytes);
        }
        catch (DecoderFallbackException exception)
        {
            throw new NpyFormatException(filePath, "version 3 header is not valid UTF-8", exception);
        }
    }

    /// <summary>
    /// Fortran order stores axis 0 fastest. Walks the source in that order with an odometer over
    /// the indices, tracking the matching row-major position incrementally.
    /// </summary>
    private static byte[] FortranToRowMajor(byte[] source, long[] shape, int elementSize)
    {
        var result = new byte[source.Length];
        var rowMajorStrides = new long[shape.Length];
        long stride = 1;
        for (int axis = shape.Length - 1; axis >= 0; axis--)
        {
            rowMajorStrides[axis] = stride;
            stride *= shape[axis];
        }

        var index = new long[shape.Length];
        long target = 0;
        for (int offset = 0; offset < source.Length; offset += elementSize)
        {
            source.AsSpan(offset, elementSize).CopyTo(result.AsSpan((int)(target * elementSize), elementSize));
            for (int axis = 0; axis < shape.Length; axis++)
            {
                index[axis]++;
                target += rowMajorStrides[axis];
                if (index[axis] < shape[axis])
                {
                    break;
                }
                target -= shape[axis] * rowMajorStrides[axis];
                index[axis] = 0;
            }
        }
        return result;
    }
}

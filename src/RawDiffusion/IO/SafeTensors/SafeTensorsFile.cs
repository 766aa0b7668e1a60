using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Numerics;

namespace RawDiffusion.IO;

/// <summary>
/// A read-only, memory-mapped safetensors file. <see cref="Open"/> validates the whole header up
/// front; reads then touch only the pages of the requested tensor, so multi-GB files are never
/// loaded whole. Reads are thread-safe; disposing while a read is running is not.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    /// <summary>The reference reader's limit; a larger header is taken as a corrupt or hostile file.</summary>
    public const long MaxHeaderLength = 100_000_000;

    private const int LengthPrefixBytes = 8;

    /// <summary>Elements converted per step, small enough that each step's source bytes fit one span.</summary>
    private const int ConversionChunkElements = 1 << 24;

    private readonly SafeTensorsHeader header;
    private readonly MemoryMappedFile mapping;
    private readonly MemoryMappedViewAccessor view;
    private readonly byte* dataStart;
    private bool disposed;

    private SafeTensorsFile(string path, SafeTensorsHeader header, MemoryMappedFile mapping,
        MemoryMappedViewAccessor view, byte* dataStart)
    {
        Path = path;
        this.header = header;
        this.mapping = mapping;
        this.view = view;
        this.dataStart = dataStart;
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>The header's "__metadata__" entries; empty when the header has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata => header.Metadata;

    /// <summary>All tensors in the order their data lies in the file.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors => header.TensorsInDataOrder;

    /// <summary>
    /// Maps <paramref name="path"/> read-only and validates its header completely.
    /// Throws <see cref="SafeTensorsFormatException"/> for any malformed content.
    /// </summary>
    public static SafeTensorsFile Open(string path)
    {
        string fullPath = System.IO.Path.GetFullPath(path);
        // FileShare.Delete lets an atomic writer replace the file while it is mapped here.
        var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        MemoryMappedFile? mapping = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            long fileLength = stream.Length;
            long headerLength = ReadHeaderLength(fullPath, stream, fileLength);
            var json = new byte[headerLength];
            RandomAccess.Read(stream.SafeFileHandle, json, LengthPrefixBytes);
            long dataOffset = LengthPrefixBytes + headerLength;
            SafeTensorsHeader header = SafeTensorsHeader.Parse(fullPath, json, fileLength - dataOffset);

            mapping = MemoryMappedFile.CreateFromFile(
                stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = mapping.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* viewStart = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref viewStart);
            byte* dataStart = viewStart + view.PointerOffset + dataOffset;
            return new SafeTensorsFile(fullPath, header, mapping, view, dataStart);
        }
        catch
        {
            view?.Dispose();
            if (mapping is null)
            {
                stream.Dispose();
            }
            else
            {
                mapping.Dispose();
            }
            throw;
        }
    }

    public bool TryGet(string name, out SafeTensorInfo info)
    {
        ArgumentNullException.ThrowIfNull(name);
        return header.TensorsByName.TryGetValue(name, out info!);
    }

    /// <summary>Reads any dtype as float (rounding to nearest where float cannot hold the value exactly).</summary>
    public float[] ReadFloat32(string name) => ReadAs<float>(Get(name));

    /// <summary>Reads any dtype as double (I64/U64 beyond 2^53 round to nearest).</summary>
    public double[] ReadFloat64(string name) => ReadAs<double>(Get(name));

    /// <summary>Reads an integer or BOOL tensor; float dtypes are refused rather than truncated.</summary>
    public long[] ReadInt64(string name)
    {
        SafeTensorInfo info = Get(name);
        if (!info.DType.IsInteger())
        {
            throw new InvalidOperationException(
                $"{FileName}: tensor '{name}' is {info.DType.HeaderName()}; ReadInt64 needs an integer or BOOL dtype");
        }
        try
        {
            return ReadAs<long>(info);
        }
        catch (OverflowException exception)
        {
            throw new OverflowException($"{FileName}: tensor '{name}' holds a U64 value above Int64.MaxValue", exception);
        }
    }

    /// <summary>
    /// Converts <paramref name="destination"/>.Length consecutive elements of the tensor, starting at element
    /// <paramref name="elementOffset"/> of its row-major data, to double: a slice of a large tensor without reading the rest.
    /// </summary>
    public void ReadFloat64(string name, long elementOffset, Span<double> destination)
    {
        SafeTensorInfo info = Get(name);
        if (elementOffset < 0 || elementOffset + destination.Length > info.ElementCount)
        {
            throw new ArgumentOutOfRangeException(nameof(elementOffset),
                $"{FileName}: elements [{elementOffset}, {elementOffset + destination.Length}) lie outside tensor '{name}' of {info.ElementCount} elements");
        }
        int elementSize = info.DType.SizeInBytes();
        var source = new ReadOnlySpan<byte>(dataStart + info.Begin + elementOffset * elementSize, destination.Length * elementSize);
        ElementConversion.Convert(info.DType, source, destination);
    }

    /// <summary>Copies the tensor's little-endian bytes; <paramref name="destination"/> must be exactly its byte length.</summary>
    public void CopyRaw(string name, Span<byte> destination)
    {
        SafeTensorInfo info = Get(name);
        if (destination.Length != info.ByteLength)
        {
            throw new ArgumentException(
                $"{FileName}: tensor '{name}' has {info.ByteLength} bytes but the destination holds {destination.Length}",
                nameof(destination));
        }
        new ReadOnlySpan<byte>(dataStart + info.Begin, destination.Length).CopyTo(destination);
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        mapping.Dispose();
    }

    private string FileName => System.IO.Path.GetFileName(Path);

    private static long ReadHeaderLength(string path, FileStream stream, long fileLength)
    {
        if (fileLength < LengthPrefixBytes)
        {
            throw new SafeTensorsFormatException(path,
                $"file is {fileLength} bytes long, shorter than the {LengthPrefixBytes}-byte header length prefix");
        }
        Span<byte> prefix = stackalloc byte[LengthPrefixBytes];
        RandomAccess.Read(stream.SafeFileHandle, prefix, 0);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderLength)
        {
            throw new SafeTensorsFormatException(path,
                $"header length {headerLength} exceeds the limit of {MaxHeaderLength} bytes");
        }
        if (LengthPrefixBytes + (long)headerLength > fileLength)
        {
            throw new SafeTensorsFormatException(path,
                $"header length {headerLength} runs past the end of the file (the file has {fileLength} bytes, the header needs {LengthPrefixBytes + (long)headerLength})");
        }
        return (long)headerLength;
    }

    private SafeTensorInfo Get(string name)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (!TryGet(name, out SafeTensorInfo info))
        {
            throw new KeyNotFoundException($"{FileName}: no tensor named '{name}'");
        }
        return info;
    }

    private T[] ReadAs<T>(SafeTensorInfo info) where T : unmanaged, INumberBase<T>
    {
        if (info.ElementCount > Array.MaxLength)
        {
            throw new InvalidOperationException(
                $"{FileName}: tensor '{info.Name}' has {info.ElementCount} elements, more than one .NET array can hold");
        }
        var result = new T[info.ElementCount];
        int elementSize = info.DType.SizeInBytes();
        // long, because stepping past an int-sized array's last chunk would overflow an int.
        for (long done = 0; done < result.Length; done += ConversionChunkElements)
        {
            int count = (int)Math.Min(ConversionChunkElements, result.Length - done);
            var source = new ReadOnlySpan<byte>(dataStart + info.Begin + done * elementSize, count * elementSize);
            ElementConversion.Convert(info.DType, source, result.AsSpan((int)done, count));
        }
        return result;
    }
}

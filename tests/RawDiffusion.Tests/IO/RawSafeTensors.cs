using System.Buffers.Binary;
using System.Text;

namespace RawDiffusion.Tests.IO;

/// <summary>Assembles safetensors bytes by hand, so tests can build files the writer never would.</summary>
public static class RawSafeTensors
{
    /// <summary>Length prefix, the header as given, then <paramref name="dataBytes"/> bytes counting 0, 1, 2, ...</summary>
    public static byte[] Build(string headerJson, int dataBytes) =>
        Build(Encoding.UTF8.GetBytes(headerJson), Enumerable.Range(0, dataBytes).Select(i => (byte)i).ToArray());

    public static byte[] Build(byte[] header, byte[] data) =>
        [.. LengthPrefix((ulong)header.Length), .. header, .. data];

    public static byte[] LengthPrefix(ulong headerLength)
    {
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, headerLength);
        return prefix;
    }
}

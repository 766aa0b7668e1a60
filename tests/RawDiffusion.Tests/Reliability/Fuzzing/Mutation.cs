using System.Buffers.Binary;
using System.Text;
using CsCheck;

namespace RawDiffusion.Tests.Reliability.Fuzzing;

/// <summary>
/// One edit of a valid file, the kinds a damaged download, a buggy writer or a hostile user make: bit flips, bytes set
/// to values parsers treat specially, truncation, inserted, deleted, duplicated and swapped chunks (field swaps),
/// 32- and 64-bit integers overwritten with extremes (length fields, counts, offsets), and in text, numbers replaced by
/// extremes and quoted strings swapped. Positions are taken modulo the input's length, so every mutation applies to
/// any input.
/// </summary>
internal sealed record Mutation(int Kind, int At, int Length, int Other)
{
    const int Kinds = 11;

    static readonly byte[] SpecialBytes = [0x00, 0xFF, 0x7F, 0x80, 0x01, (byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)',', (byte)':', (byte)'0', (byte)'9', (byte)'-', (byte)'.', (byte)'e', (byte)'\\', 0x1F, 0x8B];
    static readonly int[] ExtremeInts = [0, 1, -1, int.MaxValue, int.MinValue, 255, 256, 65535, 65536, 0x7FFFFFF0, 3, 0x00000803, 0x00000801];
    static readonly long[] ExtremeLongs = [0, 1, -1, long.MaxValue, long.MinValue, 1L << 32, 1L << 40, int.MaxValue, (long)int.MaxValue + 1, 1L << 62];
    static readonly string[] ExtremeNumbers = ["0", "-1", "1", "2147483647", "2147483648", "-2147483649", "9223372036854775807", "18446744073709551616",
                                                "1e308", "-1e308", "1e-320", "1.5", "0.0", "-0", "99999999999999999999999", "100000000", "65536", "1000000"];

    public static readonly Gen<Mutation> Any =
        Gen.Select(Gen.Int[0, Kinds - 1], Gen.Int[0, int.MaxValue], Gen.Int[1, 16], Gen.Int[0, int.MaxValue], (k, a, l, o) => new Mutation(k, a, l, o));

    public byte[] Apply(byte[] input)
    {
        var data = input.ToList();
        int n = data.Count;
        int Pos(int limit) => limit <= 0 ? 0 : At % limit;
        switch (Kind)
        {
            case 0 when n > 0: data[Pos(n)] ^= (byte)(1 << (Other % 8)); break;
            case 1 when n > 0: data[Pos(n)] = SpecialBytes[Other % SpecialBytes.Length]; break;
            case 2: data.RemoveRange(Pos(n + 1), n - Pos(n + 1)); break;
            case 3: data.InsertRange(Pos(n + 1), Enumerable.Range(0, Length).Select(i => (byte)((Other >> (i % 4 * 8)) + i))); break;
            case 4 when n > 0: { int at = Pos(n); data.RemoveRange(at, Math.Min(Length, n - at)); break; }
            case 5 when n > 0: { int at = Pos(n); var chunk = data.GetRange(at, Math.Min(Length, n - at)); data.InsertRange(Other % (n + 1), chunk); break; }
            case 6 when n > 1: Swap(data, Pos(n), Other % n, Length); break;
            case 7 when n >= 4:
            {
                int at = Pos(n - 3);
                var bytes = new byte[4];
                if (Other % 2 == 0) BinaryPrimitives.WriteInt32LittleEndian(bytes, ExtremeInts[Other / 2 % ExtremeInts.Length]);
                else BinaryPrimitives.WriteInt32BigEndian(bytes, ExtremeInts[Other / 2 % ExtremeInts.Length]);
                for (int i = 0; i < 4; i++) data[at + i] = bytes[i];
                break;
            }
            case 8 when n >= 8:
            {
                int at = Pos(n - 7);
                var bytes = new byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(bytes, ExtremeLongs[Other % ExtremeLongs.Length]);
                for (int i = 0; i < 8; i++) data[at + i] = bytes[i];
                break;
            }
            case 9: return ReplaceNumber(input);
            case 10: return SwapStrings(input);
        }
        return data.ToArray();
    }

    static void Swap(List<byte> data, int a, int b, int length)
    {
        if (a > b) (a, b) = (b, a);
        length = Math.Min(length, Math.Min(b - a, data.Count - b));
        for (int i = 0; i < length; i++) (data[a + i], data[b + i]) = (data[b + i], data[a + i]);
    }

    /// <summary>The number at or after a position (the first one when none follows) becomes an extreme.</summary>
    byte[] ReplaceNumber(byte[] input)
    {
        int n = input.Length;
        if (n == 0) return input;
        int start = -1;
        for (int i = 0; i < n && start < 0; i++)
        {
            int p = (At + i) % n;
            if (input[p] is >= (byte)'0' and <= (byte)'9' && (p == 0 || input[p - 1] is not (>= (byte)'0' and <= (byte)'9' or (byte)'.' or (byte)'-'))) start = p;
        }
        if (start < 0) return input;
        if (start > 0 && input[start - 1] == '-') start--;
        int end = start + 1;
        while (end < n && (input[end] is >= (byte)'0' and <= (byte)'9' or (byte)'.' or (byte)'e' or (byte)'E' or (byte)'+' or (byte)'-')) end++;
        return [.. input[..start], .. Encoding.ASCII.GetBytes(ExtremeNumbers[Other % ExtremeNumbers.Length]), .. input[end..]];
    }

    /// <summary>Two quoted strings trade places (a key with a value, or two values).</summary>
    byte[] SwapStrings(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        var spans = new List<(int Start, int End)>();
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '"') continue;
            int j = text.IndexOf('"', i + 1);
            if (j < 0) break;
            spans.Add((i, j + 1));
            i = j;
        }
        if (spans.Count < 2) return input;
        var a = spans[At % spans.Count];
        var b = spans[Other % spans.Count];
        if (a.Start > b.Start) (a, b) = (b, a);
        if (a == b) return input;
        string result = text[..a.Start] + text[b.Start..b.End] + text[a.End..b.Start] + text[a.Start..a.End] + text[b.End..];
        return Encoding.UTF8.GetBytes(result);
    }
}

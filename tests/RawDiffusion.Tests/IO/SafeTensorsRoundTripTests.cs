using System.Buffers.Binary;
using System.Text;
using RawDiffusion.IO;

namespace RawDiffusion.Tests.IO;

public sealed class SafeTensorsRoundTripTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void F32_round_trip_is_bit_exact_for_every_kind_of_float()
    {
        var random = new Random(1234);
        float[] special =
        [
            0f, -0f, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue, float.PositiveInfinity,
            float.NegativeInfinity, float.NaN, BitConverter.Int32BitsToSingle(0x7F800001), // signalling NaN
            BitConverter.Int32BitsToSingle(unchecked((int)0xFFC12345)), 1e-40f, 1f / 3f,
        ];
        float[] values = [.. special, .. Enumerable.Range(0, 10_000).Select(_ => BitConverter.Int32BitsToSingle(random.Next() ^ (random.Next() << 1)))];
        string path = folder.File("f32.safetensors");

        SafeTensorsWriter.Write(path, [new SafeTensorEntry("x", [values.Length], values)]);

        using var file = SafeTensorsFile.Open(path);
        float[] read = file.ReadFloat32("x");
        Assert.Equal(values.Select(BitConverter.SingleToInt32Bits), read.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(values.Select(v => (double)v), file.ReadFloat64("x"));
    }

    [Fact]
    public void BF16_matches_an_independent_round_to_nearest_even()
    {
        var random = new Random(99);
        float[] ties =
        [
            BitConverter.Int32BitsToSingle(0x3F808000), // 1 + 2^-8: tie, rounds down to even 1.0
            BitConverter.Int32BitsToSingle(0x3F818000), // tie, rounds up to even
            BitConverter.Int32BitsToSingle(0x7F7F8000), // tie at the top, rounds up into infinity
            BitConverter.Int32BitsToSingle(0x7F7FFFFF), // float.MaxValue overflows to infinity
            BitConverter.Int32BitsToSingle(0x00008000), // subnormal tie
            BitConverter.Int32BitsToSingle(unchecked((int)0x80018000)),
            float.PositiveInfinity, float.NegativeInfinity, 0f, -0f,
        ];
        float[] values = [.. ties, .. Enumerable.Range(0, 20_000).Select(_ => BitConverter.Int32BitsToSingle(random.Next() ^ (random.Next() << 1)))];
        values = values.Where(v => !float.IsNaN(v)).ToArray();
        string path = folder.File("bf16.safetensors");

        SafeTensorsWriter.Write(path, [new SafeTensorEntry("x", [values.Length], values)], dtype: SafeTensorDType.BF16);

        using var file = SafeTensorsFile.Open(path);
        SafeTensorInfo info = file.Tensors.Single();
        Assert.Equal(SafeTensorDType.BF16, info.DType);
        Assert.Equal(2L * values.Length, info.ByteLength);
        var raw = new byte[info.ByteLength];
        file.CopyRaw("x", raw);
        ushort[] bits = Enumerable.Range(0, values.Length).Select(i => BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(2 * i))).ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            Assert.True(ExpectedBFloat16(values[i]) == bits[i], $"value {values[i]:R} (0x{BitConverter.SingleToUInt32Bits(values[i]):X8}) gave 0x{bits[i]:X4}");
        }
        float[] widened = file.ReadFloat32("x");
        Assert.Equal(bits.Select(b => BitConverter.Int32BitsToSingle(b << 16)), widened);
    }

    [Fact]
    public void BF16_keeps_NaN_as_NaN_with_its_sign()
    {
        float[] nans =
        [
            float.NaN, -float.NaN, BitConverter.Int32BitsToSingle(0x7F800001), BitConverter.Int32BitsToSingle(unchecked((int)0xFF800001)),
            BitConverter.Int32BitsToSingle(0x7FFFFFFF),
        ];
        string path = folder.File("nan.safetensors");

        SafeTensorsWriter.Write(path, [new SafeTensorEntry("x", [nans.Length], nans)], dtype: SafeTensorDType.BF16);

        using var file = SafeTensorsFile.Open(path);
        float[] read = file.ReadFloat32("x");
        for (int i = 0; i < nans.Length; i++)
        {
            Assert.True(float.IsNaN(read[i]));
            Assert.Equal(float.IsNegative(nans[i]), float.IsNegative(read[i]));
        }
    }

    [Fact]
    public void Metadata_round_trips_including_characters_that_need_escaping()
    {
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["quote\"backslash\\"] = "line1\nline2\ttab",
            ["unicode"] = "Gewichte – ünïcødé 权重 🙂",
            ["empty"] = "",
        };
        string path = folder.File("meta.safetensors");

        SafeTensorsWriter.Write(path, [new SafeTensorEntry("naïve/weight+1", [1], [1f])], metadata);

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(metadata.OrderBy(p => p.Key), file.Metadata.OrderBy(p => p.Key));
        Assert.True(file.TryGet("naïve/weight+1", out _));
    }

    [Fact]
    public void Scalars_and_zero_size_tensors_round_trip()
    {
        string path = folder.File("shapes.safetensors");
        SafeTensorsWriter.Write(path,
        [
            new SafeTensorEntry("scalar", [], [2.5f]),
            new SafeTensorEntry("empty", [0], []),
            new SafeTensorEntry("empty_rows", [0, 3], []),
            new SafeTensorEntry("empty_middle", [3, 0, 2], []),
            new SafeTensorEntry("after", [2], [7f, 8f]),
        ]);

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(["scalar", "empty", "empty_rows", "empty_middle", "after"], file.Tensors.Select(t => t.Name));
        Assert.True(file.TryGet("scalar", out SafeTensorInfo scalar));
        Assert.Empty(scalar.Shape);
        Assert.Equal(1, scalar.ElementCount);
        Assert.Equal([2.5f], file.ReadFloat32("scalar"));
        foreach (string name in new[] { "empty", "empty_rows", "empty_middle" })
        {
            Assert.True(file.TryGet(name, out SafeTensorInfo info));
            Assert.Equal(0, info.ElementCount);
            Assert.Equal(info.Begin, info.End);
            Assert.Empty(file.ReadFloat32(name));
        }
        Assert.Equal(new long[] { 3, 0, 2 }, file.Tensors[3].Shape);
        Assert.Equal([7f, 8f], file.ReadFloat32("after"));
    }

    [Fact]
    public void A_file_without_tensors_round_trips()
    {
        string path = folder.File("none.safetensors");

        SafeTensorsWriter.Write(path, [], new Dictionary<string, string> { ["step"] = "0" });

        using var file = SafeTensorsFile.Open(path);
        Assert.Empty(file.Tensors);
        Assert.Equal("0", file.Metadata["step"]);
    }

    [Theory]
    [InlineData(SafeTensorDType.F32)]
    [InlineData(SafeTensorDType.BF16)]
    public void Writer_pads_the_header_with_spaces_to_8_byte_alignment(SafeTensorDType dtype)
    {
        for (int nameLength = 1; nameLength <= 9; nameLength++)
        {
            string path = folder.File($"pad{nameLength}.safetensors");
            SafeTensorsWriter.Write(path, [new SafeTensorEntry(new string('n', nameLength), [1], [1f])], dtype: dtype);

            byte[] bytes = File.ReadAllBytes(path);
            long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            Assert.Equal(0, (8 + headerLength) % 8);
            string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
            Assert.EndsWith("}", header.TrimEnd(' '));
            Assert.Equal(8 + headerLength + dtype.SizeInBytes(), bytes.Length);
        }
    }

    [Fact]
    public void Tensors_are_listed_in_data_order_and_lookups_work_whatever_the_header_order()
    {
        string header = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        string path = folder.Write("order.safetensors",
            RawSafeTensors.Build(Encoding.UTF8.GetBytes(header), [.. BitConverter.GetBytes(1.5f), .. BitConverter.GetBytes(-3f)]));

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(["a", "b"], file.Tensors.Select(t => t.Name));
        Assert.Equal([1.5f], file.ReadFloat32("a"));
        Assert.Equal([-3f], file.ReadFloat32("b"));
        Assert.Empty(file.Metadata);
        Assert.Equal(Path.GetFullPath(path), file.Path);
    }

    [Fact]
    public void Dtypes_beyond_the_fixture_convert_exactly()
    {
        byte[] u16 = [.. BitConverter.GetBytes((ushort)0), .. BitConverter.GetBytes(ushort.MaxValue)];
        byte[] u32 = [.. BitConverter.GetBytes(0u), .. BitConverter.GetBytes(uint.MaxValue)];
        byte[] u64 = [.. BitConverter.GetBytes(12UL), .. BitConverter.GetBytes(ulong.MaxValue)];
        byte[] e4m3 = [0x38, 0xB8, 0x7E, 0x01, 0x08, 0x7F];
        byte[] e5m2 = [0x3C, 0x7B, 0x7C, 0x01, 0xFC, 0x7F];
        string header =
            "{\"u16\":{\"dtype\":\"U16\",\"shape\":[2],\"data_offsets\":[0,4]}," +
            "\"u32\":{\"dtype\":\"U32\",\"shape\":[2],\"data_offsets\":[4,12]}," +
            "\"u64\":{\"dtype\":\"U64\",\"shape\":[2],\"data_offsets\":[12,28]}," +
            "\"e4m3\":{\"dtype\":\"F8_E4M3\",\"shape\":[6],\"data_offsets\":[28,34]}," +
            "\"e5m2\":{\"dtype\":\"F8_E5M2\",\"shape\":[6],\"data_offsets\":[34,40]}}";
        string path = folder.Write("more.safetensors", RawSafeTensors.Build(Encoding.UTF8.GetBytes(header), [.. u16, .. u32, .. u64, .. e4m3, .. e5m2]));

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal([0L, 65535L], file.ReadInt64("u16"));
        Assert.Equal([0L, 4294967295L], file.ReadInt64("u32"));
        Assert.Equal([12.0, 18446744073709551615.0], file.ReadFloat64("u64"));
        var overflow = Assert.Throws<OverflowException>(() => file.ReadInt64("u64"));
        Assert.StartsWith("more.safetensors: tensor 'u64'", overflow.Message);
        // e4m3: 1, -1, 448 (largest finite), 2^-9 (smallest subnormal), 2^-6 (smallest normal), NaN.
        float[] e4m3Values = file.ReadFloat32("e4m3");
        Assert.Equal([1f, -1f, 448f, MathF.ScaleB(1, -9), MathF.ScaleB(1, -6)], e4m3Values[..5]);
        Assert.True(float.IsNaN(e4m3Values[5]));
        // e5m2: 1, 57344 (largest finite), +inf, 2^-16 (smallest subnormal), -inf, NaN.
        float[] e5m2Values = file.ReadFloat32("e5m2");
        Assert.Equal([1f, 57344f, float.PositiveInfinity, MathF.ScaleB(1, -16), float.NegativeInfinity], e5m2Values[..5]);
        Assert.True(float.IsNaN(e5m2Values[5]));
    }

    [Fact]
    public void Misuse_is_reported_with_file_and_tensor_names()
    {
        string path = folder.File("use.safetensors");
        SafeTensorsWriter.Write(path, [new SafeTensorEntry("w", [2], [1f, 2f])]);
        var file = SafeTensorsFile.Open(path);

        var notFound = Assert.Throws<KeyNotFoundException>(() => file.ReadFloat32("missing"));
        Assert.Equal("use.safetensors: no tensor named 'missing'", notFound.Message);
        var notInteger = Assert.Throws<InvalidOperationException>(() => file.ReadInt64("w"));
        Assert.Equal("use.safetensors: tensor 'w' is F32; ReadInt64 needs an integer or BOOL dtype", notInteger.Message);
        var wrongSize = Assert.Throws<ArgumentException>(() => file.CopyRaw("w", new byte[7]));
        Assert.StartsWith("use.safetensors: tensor 'w' has 8 bytes but the destination holds 7", wrongSize.Message);
        Assert.False(file.TryGet("missing", out _));

        file.Dispose();
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.ReadFloat32("w"));
    }

    /// <summary>
    /// Reference rounding computed from real distances in double precision (exact for these
    /// magnitudes), not with the bit trick the writer uses: pick the nearer of the two bfloat16
    /// neighbours, the even one on a tie; past the largest finite value the upper neighbour is
    /// infinity, which IEEE treats as 2^128 for rounding.
    /// </summary>
    private static ushort ExpectedBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsInfinity(value))
        {
            return (ushort)(bits >> 16);
        }
        uint sign = bits & 0x8000_0000;
        uint magnitudeBits = bits & 0x7FFF_FFFF;
        uint lowerBits = magnitudeBits & 0xFFFF_0000;
        int biasedExponent = (int)(lowerBits >> 23);
        double unitInLastPlace = Math.ScaleB(1.0, Math.Max(biasedExponent, 1) - 127 - 7);
        double lower = BitConverter.UInt32BitsToSingle(lowerBits);
        double upper = lower + unitInLastPlace;
        double magnitude = BitConverter.UInt32BitsToSingle(magnitudeBits);
        double belowBy = magnitude - lower;
        double aboveBy = upper - magnitude;
        bool lowerIsEven = ((lowerBits >> 16) & 1) == 0;
        bool roundDown = belowBy < aboveBy || (belowBy == aboveBy && lowerIsEven);
        uint chosen = roundDown ? lowerBits : lowerBits + 0x1_0000; // 0x7F7F + 1 is infinity's pattern
        return (ushort)((sign | chosen) >> 16);
    }
}

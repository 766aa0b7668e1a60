using System.Buffers.Binary;
using System.Text;
using RawDiffusion.IO;

namespace RawDiffusion.Tests.IO;

public sealed class NpyRoundTripTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void Float32_round_trip_is_bit_exact()
    {
        var random = new Random(7);
        float[] values = [float.NaN, -0f, float.PositiveInfinity, float.Epsilon, .. Enumerable.Range(0, 2000).Select(_ => BitConverter.Int32BitsToSingle(random.Next() ^ (random.Next() << 1)))];
        long[] shape = [2, values.Length / 2];
        string path = folder.File("f32.npy");

        NpyFile.Write(path, values, shape);

        NpyArray array = NpyFile.Read(path);
        Assert.Equal("<f4", array.Descr);
        Assert.Equal(shape, array.Shape);
        Assert.Equal(values.Select(BitConverter.SingleToInt32Bits), array.ToFloat32().Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Float64_and_integer_overloads_round_trip()
    {
        double[] doubles = [1.0 / 3.0, -1e-310, double.MaxValue];
        int[] ints = [int.MinValue, -1, 0, int.MaxValue];
        long[] longs = [long.MinValue, 42, long.MaxValue];

        NpyFile.Write(folder.File("f8.npy"), doubles, [3]);
        NpyFile.Write(folder.File("i4.npy"), ints, [2, 2]);
        NpyFile.Write(folder.File("i8.npy"), longs, [3, 1]);

        NpyArray f8 = NpyFile.Read(folder.File("f8.npy"));
        NpyArray i4 = NpyFile.Read(folder.File("i4.npy"));
        NpyArray i8 = NpyFile.Read(folder.File("i8.npy"));
        Assert.Equal(("<f8", "<i4", "<i8"), (f8.Descr, i4.Descr, i8.Descr));
        Assert.Equal(doubles, f8.ToFloat64());
        Assert.Equal(ints.Select(i => (long)i), i4.ToInt64());
        Assert.Equal(new long[] { 2, 2 }, i4.Shape);
        Assert.Equal(longs, i8.ToInt64());
        Assert.Equal(new long[] { 3, 1 }, i8.Shape);
    }

    [Fact]
    public void Scalar_and_empty_arrays_round_trip()
    {
        NpyFile.Write(folder.File("scalar.npy"), [2.5f], []);
        NpyFile.Write(folder.File("empty.npy"), Array.Empty<float>(), [4, 0]);

        NpyArray scalar = NpyFile.Read(folder.File("scalar.npy"));
        NpyArray empty = NpyFile.Read(folder.File("empty.npy"));
        Assert.Empty(scalar.Shape);
        Assert.Equal([2.5f], scalar.ToFloat32());
        Assert.Equal(new long[] { 4, 0 }, empty.Shape);
        Assert.Empty(empty.ToFloat32());
    }

    [Fact]
    public void Header_is_version_1_and_aligns_the_data_to_64_bytes()
    {
        for (int length = 1; length <= 70; length++)
        {
            string path = folder.File($"a{length}.npy");
            NpyFile.Write(path, new float[length], [length]);

            byte[] bytes = File.ReadAllBytes(path);
            Assert.Equal((byte)1, bytes[6]);
            int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
            Assert.Equal(0, (10 + headerLength) % 64);
            Assert.Equal((byte)'\n', bytes[10 + headerLength - 1]);
            Assert.Equal(10 + headerLength + 4 * length, bytes.Length);
        }
    }

    [Fact]
    public void Header_too_long_for_version_1_switches_to_version_2()
    {
        long[] shape = Enumerable.Repeat(1L, 30_000).ToArray();
        string path = folder.File("many_axes.npy");

        NpyFile.Write(path, [4f], shape);

        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal((byte)2, bytes[6]);
        Assert.Equal(0u, (12 + BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8))) % 64);
        NpyArray array = NpyFile.Read(path);
        Assert.Equal(shape, array.Shape);
        Assert.Equal([4f], array.ToFloat32());
    }

    [Fact]
    public void Shape_that_does_not_match_the_data_leaves_an_existing_file_intact()
    {
        string path = folder.File("labels.npy");
        NpyFile.Write(path, new long[] { 1, 2, 3 }, [3]);
        byte[] before = File.ReadAllBytes(path);

        var exception = Assert.Throws<ArgumentException>(() => NpyFile.Write(path, new long[] { 1, 2 }, [3]));

        Assert.Contains("Shape [3] does not describe 2 values.", exception.Message);
        Assert.Throws<ArgumentException>(() => NpyFile.Write(path, new float[] { 1 }, [-1, -1]));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void Reader_accepts_16_byte_aligned_headers_double_quotes_and_python2_longs()
    {
        string header = "{\"descr\": \"<i2\", \"fortran_order\": False, \"shape\": (2L, 1L)}";
        header += new string(' ', 16 - (10 + header.Length + 1) % 16) + "\n";
        byte[] bytes = [0x93, .. "NUMPY"u8, 1, 0, .. BitConverter.GetBytes((ushort)header.Length), .. Encoding.ASCII.GetBytes(header), 5, 0, 0xFB, 0xFF];
        string path = folder.Write("old.npy", bytes);

        NpyArray array = NpyFile.Read(path);

        Assert.Equal(new long[] { 2, 1 }, array.Shape);
        Assert.Equal([5L, -5L], array.ToInt64());
    }

    [Fact]
    public void Trailing_bytes_after_the_data_are_ignored_like_numpy()
    {
        string path = folder.File("two.npy");
        NpyFile.Write(path, [1f, 2f], [2]);
        File.AppendAllText(path, "another array could follow");

        Assert.Equal([1f, 2f], NpyFile.Read(path).ToFloat32());
    }

    [Fact]
    public void Unsigned_64_bit_values_above_int64_overflow_with_a_clear_message()
    {
        string header = "{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }\n";
        byte[] bytes = [0x93, .. "NUMPY"u8, 1, 0, .. BitConverter.GetBytes((ushort)header.Length), .. Encoding.ASCII.GetBytes(header), .. BitConverter.GetBytes(ulong.MaxValue)];
        NpyArray array = NpyFile.Read(folder.Write("u8.npy", bytes));

        Assert.Equal([18446744073709551615.0], array.ToFloat64());
        var exception = Assert.Throws<OverflowException>(() => array.ToInt64());
        Assert.Equal("descr '<u8' array holds a value above Int64.MaxValue", exception.Message);
    }
}

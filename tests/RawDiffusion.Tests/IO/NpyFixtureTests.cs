using System.Text.Json;
using RawDiffusion.IO;

namespace RawDiffusion.Tests.IO;

/// <summary>Reads .npy files written by numpy (tools/fixtures/make_io_fixtures.py) and writes byte-identical ones.</summary>
public sealed class NpyFixtureTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    public static TheoryData<string> NpyFiles() =>
        new(Fixtures.Expected.GetProperty("npy").EnumerateArray().Select(f => f.GetProperty("file").GetString()!));

    private static JsonElement Describe(string fileName) =>
        Fixtures.Expected.GetProperty("npy").EnumerateArray().Single(f => f.GetProperty("file").GetString() == fileName);

    [Theory]
    [MemberData(nameof(NpyFiles))]
    public void Numpy_files_read_with_exact_values_in_row_major_order(string fileName)
    {
        JsonElement expected = Describe(fileName);

        NpyArray array = NpyFile.Read(Fixtures.PathOf(fileName));

        Assert.Equal(expected.GetProperty("descr").GetString(), array.Descr);
        Assert.Equal(Fixtures.Longs(expected.GetProperty("shape")), array.Shape);
        double[] values = Fixtures.Doubles(expected.GetProperty("values"));
        Assert.Equal(values.Length, array.ElementCount);
        Assert.Equal(values.Select(BitConverter.DoubleToInt64Bits), array.ToFloat64().Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(values.Select(v => BitConverter.SingleToInt32Bits((float)v)), array.ToFloat32().Select(BitConverter.SingleToInt32Bits));
        if (array.Descr[1] is 'i' or 'u' or 'b')
        {
            Assert.Equal(Fixtures.Longs(expected.GetProperty("values")), array.ToInt64());
        }
        else
        {
            Assert.Throws<InvalidOperationException>(() => array.ToInt64());
        }
    }

    [Fact]
    public void Fixtures_cover_every_format_version_and_fortran_order()
    {
        JsonElement[] files = Fixtures.Expected.GetProperty("npy").EnumerateArray().ToArray();

        Assert.Equal([1L, 2L, 3L], files.Select(f => f.GetProperty("version")[0].GetInt64()).Distinct().Order());
        Assert.Contains(files, f => f.GetProperty("fortran_order").GetBoolean() && f.GetProperty("shape").GetArrayLength() == 3);
    }

    [Theory]
    [InlineData("v1_f32.npy")]
    [InlineData("v1_f64.npy")]
    [InlineData("labels_i64.npy")]
    [InlineData("labels_i32.npy")]
    [InlineData("scalar_f64.npy")]
    [InlineData("empty_f32.npy")]
    public void Writer_output_is_byte_identical_to_numpy_save(string fileName)
    {
        JsonElement expected = Describe(fileName);
        long[] shape = Fixtures.Longs(expected.GetProperty("shape"));
        string written = folder.File(fileName);

        switch (expected.GetProperty("descr").GetString())
        {
            case "<f4":
                NpyFile.Write(written, Fixtures.Doubles(expected.GetProperty("values")).Select(v => (float)v).ToArray(), shape);
                break;
            case "<f8":
                NpyFile.Write(written, Fixtures.Doubles(expected.GetProperty("values")), shape);
                break;
            case "<i8":
                NpyFile.Write(written, Fixtures.Longs(expected.GetProperty("values")), shape);
                break;
            case "<i4":
                NpyFile.Write(written, Fixtures.Longs(expected.GetProperty("values")).Select(v => (int)v).ToArray(), shape);
                break;
            default:
                Assert.Fail($"no writer overload for {fileName}");
                break;
        }

        Assert.Equal(File.ReadAllBytes(Fixtures.PathOf(fileName)), File.ReadAllBytes(written));
    }
}

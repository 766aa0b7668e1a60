using System.Text.Json;
using RawDiffusion.IO;

namespace RawDiffusion.Tests.IO;

/// <summary>Reads files written independently by tools/fixtures/make_io_fixtures.py and checks exact values.</summary>
public sealed class SafeTensorsFixtureTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private static JsonElement Single => Fixtures.Expected.GetProperty("safetensors");

    private static JsonElement Sharded => Fixtures.Expected.GetProperty("sharded");

    [Fact]
    public void Reference_file_lists_every_tensor_with_dtype_shape_and_metadata()
    {
        using var file = SafeTensorsFile.Open(Fixtures.PathOf(Single.GetProperty("file").GetString()!));

        Assert.Equal(Fixtures.Strings(Single.GetProperty("metadata")), file.Metadata);
        JsonElement[] expected = Single.GetProperty("tensors").EnumerateArray().ToArray();
        Assert.Equal(expected.Select(t => t.GetProperty("name").GetString()), file.Tensors.Select(t => t.Name));
        foreach (JsonElement tensor in expected)
        {
            Assert.True(file.TryGet(tensor.GetProperty("name").GetString()!, out SafeTensorInfo info));
            Assert.Equal(tensor.GetProperty("dtype").GetString(), info.DType.HeaderName());
            Assert.Equal(Fixtures.Longs(tensor.GetProperty("shape")), info.Shape);
        }
    }

    [Fact]
    public void Reference_file_values_read_exactly_in_every_precision()
    {
        using var file = SafeTensorsFile.Open(Fixtures.PathOf(Single.GetProperty("file").GetString()!));

        foreach (JsonElement tensor in Single.GetProperty("tensors").EnumerateArray())
        {
            string name = tensor.GetProperty("name").GetString()!;
            double[] expected = Fixtures.Doubles(tensor.GetProperty("values"));
            Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), file.ReadFloat64(name).Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(expected.Select(v => BitConverter.SingleToInt32Bits((float)v)), file.ReadFloat32(name).Select(BitConverter.SingleToInt32Bits));
            if (file.Tensors.Single(t => t.Name == name).DType.IsInteger())
            {
                Assert.Equal(Fixtures.Longs(tensor.GetProperty("values")), file.ReadInt64(name));
            }
        }
    }

    [Fact]
    public void BF16_bits_match_the_fixture_and_the_writer_reproduces_them()
    {
        JsonElement tensor = Single.GetProperty("tensors").EnumerateArray().Single(t => t.GetProperty("dtype").GetString() == "BF16");
        string name = tensor.GetProperty("name").GetString()!;
        ushort[] expectedBits = Fixtures.Longs(tensor.GetProperty("bits")).Select(b => (ushort)b).ToArray();
        float[] source = Fixtures.Longs(tensor.GetProperty("source_f32_bits")).Select(b => BitConverter.UInt32BitsToSingle((uint)b)).ToArray();
        using var file = SafeTensorsFile.Open(Fixtures.PathOf(Single.GetProperty("file").GetString()!));
        var fixtureBytes = new byte[2 * expectedBits.Length];
        file.CopyRaw(name, fixtureBytes);
        string written = folder.File("bf16.safetensors");

        SafeTensorsWriter.Write(written, [new SafeTensorEntry(name, [2, 4], source)], dtype: SafeTensorDType.BF16);

        Assert.Equal(expectedBits.SelectMany(BitConverter.GetBytes), fixtureBytes);
        using var rewritten = SafeTensorsFile.Open(written);
        var writtenBytes = new byte[fixtureBytes.Length];
        rewritten.CopyRaw(name, writtenBytes);
        Assert.Equal(fixtureBytes, writtenBytes);
    }

    [Fact]
    public void Sharded_fixture_reads_through_its_index()
    {
        using var checkpoint = ShardedSafeTensors.Open(Fixtures.PathOf(Sharded.GetProperty("folder").GetString()!));

        Assert.Equal(Sharded.GetProperty("index").GetString(), Path.GetFileName(checkpoint.Path));
        Assert.Equal(Fixtures.Strings(Sharded.GetProperty("metadata")), checkpoint.Metadata);
        JsonElement[] tensors = Sharded.GetProperty("tensors").EnumerateArray().ToArray();
        Assert.Equal(tensors.Select(t => t.GetProperty("name").GetString()).Order(StringComparer.Ordinal), checkpoint.Names);
        foreach (JsonElement tensor in tensors)
        {
            string name = tensor.GetProperty("name").GetString()!;
            Assert.Equal(tensor.GetProperty("shard").GetString(), Path.GetFileName(checkpoint.ShardPathOf(name)));
            Assert.True(checkpoint.TryGet(name, out SafeTensorInfo info));
            Assert.Equal(Fixtures.Longs(tensor.GetProperty("shape")), info.Shape);
            Assert.Equal(Fixtures.Doubles(tensor.GetProperty("values")).Select(v => (float)v), checkpoint.ReadFloat32(name));
        }
    }

    [Fact]
    public void Writer_output_is_byte_identical_to_the_hand_built_shards()
    {
        var shardMetadata = Fixtures.Strings(Sharded.GetProperty("shard_metadata"));
        foreach (IGrouping<string, JsonElement> shard in Sharded.GetProperty("tensors").EnumerateArray().GroupBy(t => t.GetProperty("shard").GetString()!))
        {
            SafeTensorEntry[] entries = shard.Select(t => new SafeTensorEntry(
                t.GetProperty("name").GetString()!,
                Fixtures.Longs(t.GetProperty("shape")),
                Fixtures.Doubles(t.GetProperty("values")).Select(v => (float)v).ToArray())).ToArray();
            string written = folder.File(shard.Key);

            SafeTensorsWriter.Write(written, entries, shardMetadata);

            Assert.Equal(File.ReadAllBytes(Fixtures.PathOf(Path.Combine("sharded", shard.Key))), File.ReadAllBytes(written));
        }
    }
}

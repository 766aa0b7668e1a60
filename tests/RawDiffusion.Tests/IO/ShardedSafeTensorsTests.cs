using System.Text.Json;
using RawDiffusion.IO;

namespace RawDiffusion.Tests.IO;

public sealed class ShardedSafeTensorsTests : IDisposable
{
    private const string Shard1 = "model-00001-of-00002.safetensors";
    private const string Shard2 = "model-00002-of-00002.safetensors";
    private const string Index = ShardedSafeTensors.DefaultIndexFileName;

    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private void WriteCheckpoint(Dictionary<string, string>? weightMapOverride = null)
    {
        SafeTensorsWriter.Write(folder.File(Shard1),
        [
            new SafeTensorEntry("encoder.weight", [2, 2], [1f, 2f, 3f, 4f]),
            new SafeTensorEntry("encoder.bias", [2], [0.5f, -0.5f]),
        ]);
        SafeTensorsWriter.Write(folder.File(Shard2), [new SafeTensorEntry("decoder.weight", [1, 3], [7f, 8f, 9f])], dtype: SafeTensorDType.BF16);
        var weightMap = weightMapOverride ?? new Dictionary<string, string>
        {
            ["decoder.weight"] = Shard2,
            ["encoder.bias"] = Shard1,
            ["encoder.weight"] = Shard1,
        };
        WriteIndex(weightMap);
    }

    private void WriteIndex(Dictionary<string, string> weightMap) =>
        File.WriteAllText(folder.File(Index),
            JsonSerializer.Serialize(new { metadata = new { total_size = 30, note = "toy" }, weight_map = weightMap }));

    [Fact]
    public void Folder_with_index_reads_every_tensor_from_its_shard()
    {
        WriteCheckpoint();

        using var checkpoint = ShardedSafeTensors.Open(folder.Path);

        Assert.Equal(folder.File(Index), checkpoint.Path);
        Assert.Equal(["decoder.weight", "encoder.bias", "encoder.weight"], checkpoint.Names);
        Assert.Equal("30", checkpoint.Metadata["total_size"]);
        Assert.Equal("toy", checkpoint.Metadata["note"]);
        Assert.Equal([folder.File(Shard2), folder.File(Shard1)], checkpoint.ShardPaths);
        Assert.Equal(folder.File(Shard1), checkpoint.ShardPathOf("encoder.bias"));
        Assert.Equal([1f, 2f, 3f, 4f], checkpoint.ReadFloat32("encoder.weight"));
        Assert.Equal([0.5, -0.5], checkpoint.ReadFloat64("encoder.bias"));
        Assert.Equal([7f, 8f, 9f], checkpoint.ReadFloat32("decoder.weight"));
        var raw = new byte[6];
        checkpoint.CopyRaw("decoder.weight", raw);
        Assert.Equal([0xE0, 0x40, 0x00, 0x41, 0x10, 0x41], raw);
        Assert.True(checkpoint.TryGet("decoder.weight", out SafeTensorInfo info));
        Assert.Equal(SafeTensorDType.BF16, info.DType);
        Assert.Equal(new long[] { 1, 3 }, info.Shape);
        Assert.Equal(checkpoint.Names, checkpoint.Tensors.Select(t => t.Name));
        Assert.False(checkpoint.TryGet("missing", out _));
        Assert.False(checkpoint.Contains("missing"));
        var notFound = Assert.Throws<KeyNotFoundException>(() => checkpoint.ReadFloat32("missing"));
        Assert.Equal($"{Index}: no tensor named 'missing'", notFound.Message);
    }

    [Fact]
    public void Index_path_opens_the_same_checkpoint()
    {
        WriteCheckpoint();

        using var checkpoint = ShardedSafeTensors.Open(folder.File(Index));

        Assert.Equal([0.5f, -0.5f], checkpoint.ReadFloat32("encoder.bias"));
    }

    [Fact]
    public void Shards_are_opened_only_when_one_of_their_tensors_is_needed()
    {
        WriteCheckpoint();
        File.WriteAllBytes(folder.File(Shard2), [1, 2, 3]);

        using var checkpoint = ShardedSafeTensors.Open(folder.Path);

        Assert.Equal([1f, 2f, 3f, 4f], checkpoint.ReadFloat32("encoder.weight"));
        var exception = Assert.Throws<SafeTensorsFormatException>(() => checkpoint.ReadFloat32("decoder.weight"));
        Assert.StartsWith(Shard2 + ": file is 3 bytes long", exception.Message);
    }

    [Fact]
    public void Single_file_and_folder_with_one_file_share_the_same_api()
    {
        string path = folder.File("weights.safetensors");
        SafeTensorsWriter.Write(path, [new SafeTensorEntry("b", [1], [2f]), new SafeTensorEntry("a", [1], [1f])],
            new Dictionary<string, string> { ["format"] = "pt" });

        using var byFile = ShardedSafeTensors.Open(path);
        using var byFolder = ShardedSafeTensors.Open(folder.Path);

        foreach (ShardedSafeTensors checkpoint in new[] { byFile, byFolder })
        {
            Assert.Equal(path, checkpoint.Path);
            Assert.Equal(["b", "a"], checkpoint.Names);
            Assert.Equal("pt", checkpoint.Metadata["format"]);
            Assert.Equal([path], checkpoint.ShardPaths);
            Assert.Equal([1f], checkpoint.ReadFloat32("a"));
        }
    }

    [Fact]
    public void Missing_shard_file_is_reported_at_open_with_index_tensor_and_shard()
    {
        WriteCheckpoint();
        File.Delete(folder.File(Shard2));

        var exception = Assert.Throws<SafeTensorsFormatException>(() => ShardedSafeTensors.Open(folder.Path));

        Assert.StartsWith($"{Index}: weight_map puts tensor 'decoder.weight' in shard '{Shard2}', which does not exist in ", exception.Message);
    }

    [Fact]
    public void Tensor_absent_from_its_shard_is_reported_with_index_tensor_and_shard()
    {
        WriteCheckpoint(new Dictionary<string, string>
        {
            ["encoder.weight"] = Shard1,
            ["decoder.weight"] = Shard2,
            ["decoder.bias"] = Shard2,
        });
        using var checkpoint = ShardedSafeTensors.Open(folder.Path);

        var exception = Assert.Throws<SafeTensorsFormatException>(() => checkpoint.ReadFloat32("decoder.weight"));

        Assert.Equal($"{Index}: index puts tensor 'decoder.bias' in shard '{Shard2}', but that shard has no such tensor", exception.Message);
        Assert.Equal([1f, 2f, 3f, 4f], checkpoint.ReadFloat32("encoder.weight"));
    }

    public static TheoryData<string, string> MalformedIndexes() => new()
    {
        { "{\"weight_map\": {\"a\": ", "index is not valid JSON" },
        { "[]", "index must be a JSON object, not Array" },
        { "{\"metadata\": {}}", "index has no \"weight_map\" object mapping tensor names to shard files" },
        { "{\"weight_map\": {\"a\": 3}}", "weight_map entry for tensor 'a' must be a shard file name, but it is 3" },
        { "{\"weight_map\": {\"a\": \"../outside.safetensors\"}}", "weight_map puts tensor 'a' in shard '../outside.safetensors', which is not a file inside the index's folder" },
        { "{\"weight_map\": {\"a\": \"/etc/passwd\"}}", "which is not a file inside the index's folder" },
        { "{\"weight_map\": {\"a\": \"\"}}", "which is not a file inside the index's folder" },
        { "{\"weight_map\": {\"a\": \"x.safetensors\", \"a\": \"x.safetensors\"}}", "weight_map lists tensor 'a' twice" },
        { "{\"metadata\": [1], \"weight_map\": {}}", "index \"metadata\" must be an object, but it is [1]" },
    };

    [Theory]
    [MemberData(nameof(MalformedIndexes))]
    public void Malformed_index_is_rejected_naming_the_index(string indexJson, string expected)
    {
        File.WriteAllText(folder.File(Index), indexJson);
        File.WriteAllBytes(folder.File("x.safetensors"), RawSafeTensors.Build("{}", 0));

        var exception = Assert.Throws<SafeTensorsFormatException>(() => ShardedSafeTensors.Open(folder.Path));

        Assert.StartsWith(Index + ": ", exception.Message);
        Assert.Contains(expected, exception.Message);
    }

    [Fact]
    public void Folder_with_several_files_but_no_index_is_ambiguous()
    {
        SafeTensorsWriter.Write(folder.File("a.safetensors"), []);
        SafeTensorsWriter.Write(folder.File("b.safetensors"), []);

        var exception = Assert.Throws<SafeTensorsFormatException>(() => ShardedSafeTensors.Open(folder.Path));

        Assert.Contains("folder holds 2 .safetensors files but no model.safetensors.index.json", exception.Message);
    }

    [Fact]
    public void Folder_without_weights_or_missing_path_is_not_found()
    {
        Assert.Throws<FileNotFoundException>(() => ShardedSafeTensors.Open(folder.Path));
        Assert.Throws<FileNotFoundException>(() => ShardedSafeTensors.Open(folder.File("nothing-here")));
    }

    [Fact]
    public void Disposed_checkpoint_refuses_reads()
    {
        WriteCheckpoint();
        var checkpoint = ShardedSafeTensors.Open(folder.Path);
        Assert.Equal([0.5f, -0.5f], checkpoint.ReadFloat32("encoder.bias"));

        checkpoint.Dispose();

        Assert.Throws<ObjectDisposedException>(() => checkpoint.ReadFloat32("encoder.bias"));
    }
}

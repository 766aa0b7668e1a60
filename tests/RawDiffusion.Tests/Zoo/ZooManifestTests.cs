using System.Text.Json.Nodes;
using RawDiffusion.Tests.IO;
using RawDiffusion.Zoo;

namespace RawDiffusion.Tests.Zoo;

public class ZooManifestTests
{
    /// <summary>Edits zoo.json as JSON and returns the error loading it gives.</summary>
    static Exception LoadEdited(TempFolder temp, Action<JsonObject> edit)
    {
        var path = ZooTestData.WriteSmallZoo(temp.Path);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
        var error = Assert.ThrowsAny<Exception>(() => ZooManifest.Load(temp.Path));
        Assert.True(error is FormatException or IOException, error.ToString());
        Assert.Contains("zoo.json", error.Message);
        return error;
    }

    static JsonObject FirstCheckpoint(JsonObject json) => json["checkpoints"]![0]!.AsObject();

    [Fact]
    public void ARoundTripKeepsEveryField()
    {
        using var temp = new TempFolder();
        ZooTestData.WriteSmallZoo(temp.Path);
        var manifest = ZooManifest.Load(temp.Path);
        Assert.Equal(ZooTestData.Architecture.ToJson(), manifest.Architecture.ToJson());
        Assert.Equal([1, 28, 28], manifest.Features.SampleShape);
        Assert.Equal("fashion-mnist", manifest.Data.Domain);
        Assert.Equal(0.25, manifest.Checkpoints[0].TestAccuracy);
        Assert.Equal([1, 2], manifest.Training!.KeptEpochs());
        var text = File.ReadAllText(Path.Combine(temp.Path, ZooManifest.FileName));
        Assert.Contains("\"format\": \"rawdiffusion-zoo/1\"", text);
        Assert.DoesNotContain("\"shard\"", text);
        manifest.Save(temp.Path);
        Assert.Equal(text, File.ReadAllText(Path.Combine(temp.Path, ZooManifest.FileName)));
    }

    [Fact]
    public void CommentsAreAllowed()
    {
        using var temp = new TempFolder();
        var path = ZooTestData.WriteSmallZoo(temp.Path);
        File.WriteAllText(path, "// a zoo\n" + File.ReadAllText(path));
        Assert.Single(ZooManifest.Load(temp.Path).Checkpoints);
    }

    [Fact]
    public void UnknownKeysAreRejected()
    {
        using var temp = new TempFolder();
        Assert.Contains("colour", LoadEdited(temp, j => FirstCheckpoint(j)["colour"] = "red").Message);
    }

    [Fact]
    public void AWrongFormatTagIsRejected()
    {
        using var temp = new TempFolder();
        Assert.Contains("format", LoadEdited(temp, j => j["format"] = "rawdiffusion-zoo/9").Message);
    }

    [Fact]
    public void ACheckpointOfAnUnknownTaskIsRejected()
    {
        using var temp = new TempFolder();
        var message = LoadEdited(temp, j => FirstCheckpoint(j)["task"] = "fashion-mnist:9-8-7").Message;
        Assert.Contains("checkpoints[0]", message);
        Assert.Contains("fashion-mnist:9-8-7", message);
    }

    [Fact]
    public void AMissingCheckpointFileIsRejected()
    {
        using var temp = new TempFolder();
        var error = LoadEdited(temp, j => FirstCheckpoint(j)["file"] = "checkpoints/gone.safetensors");
        Assert.IsType<FileNotFoundException>(error);
        Assert.Contains("checkpoints/gone.safetensors", error.Message);
    }

    [Fact]
    public void DuplicateCheckpointsAreRejected()
    {
        using var temp = new TempFolder();
        var message = LoadEdited(temp, j => j["checkpoints"]!.AsArray().Add(FirstCheckpoint(j).DeepClone())).Message;
        Assert.Contains("checkpoints[1]", message);
        Assert.Contains("seed 0, epoch 1", message);
    }

    [Fact]
    public void ATaskWhoseClassCountDiffersFromTheArchitectureIsRejected()
    {
        using var temp = new TempFolder();
        var message = LoadEdited(temp, j => j["architecture"]!["classes"] = 4).Message;
        Assert.Contains("tasks[0]", message);
        Assert.Contains("classes", message);
    }

    [Fact]
    public void ATaskIdThatDisagreesWithItsClassesIsRejected()
    {
        using var temp = new TempFolder();
        var message = LoadEdited(temp, j => j["tasks"]![0]!["classes"] = new JsonArray(2, 1, 0)).Message;
        Assert.Contains("tasks[0]", message);
        Assert.Contains("fashion-mnist:2-1-0", message);
    }

    [Fact]
    public void ACheckpointRoundTripsItsTensorsAndEntry()
    {
        using var temp = new TempFolder();
        var architecture = ZooTestData.Architecture;
        var random = new Random(3);
        var tensors = architecture.Tensors.ToDictionary(t => t.Name, t => Enumerable.Range(0, (int)t.Numel).Select(_ => random.NextSingle()).ToArray());
        var entry = new ZooCheckpointEntry { File = "x", Task = "fashion-mnist:0-1-2", Seed = 7, Epoch = 3, TrainAccuracy = 0.1 + 0.2, TestAccuracy = null };
        var path = temp.File("c.safetensors");
        ZooCheckpoint.Write(path, architecture, tensors, entry);
        var (read, stored) = ZooCheckpoint.Read(path, architecture);
        Assert.Equal(entry with { File = path }, stored);
        Assert.Equal(entry with { File = path }, ZooCheckpoint.ReadEntry(path));
        foreach (var (name, values) in tensors) Assert.Equal(values, read[name]);
        using var file = RawDiffusion.IO.SafeTensorsFile.Open(path);
        Assert.Equal("rawdiffusion-zoo-checkpoint/1", file.Metadata["format"]);
        Assert.Equal("tiny-mlp", file.Metadata["architecture"]);
        Assert.Equal("3", file.Metadata["classes"]);
        Assert.False(file.Metadata.ContainsKey("test_accuracy"));
    }

    [Fact]
    public void ATruncatedCheckpointIsRejectedNamingTheFile()
    {
        using var temp = new TempFolder();
        ZooTestData.WriteSmallZoo(temp.Path);
        var path = ZooManifest.PathOf(temp.Path, ZooManifest.Load(temp.Path).Checkpoints[0]);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 16)]);
        var error = Assert.ThrowsAny<FormatException>(() => ZooCheckpoint.Read(path, ZooTestData.Architecture));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void ACheckpointReadAsAnotherArchitectureIsRejectedNamingFileAndTensor()
    {
        using var temp = new TempFolder();
        ZooTestData.WriteSmallZoo(temp.Path);
        var path = ZooManifest.PathOf(temp.Path, ZooManifest.Load(temp.Path).Checkpoints[0]);
        var renamed = Assert.Throws<FormatException>(() => ZooCheckpoint.Read(path, ZooTestData.Architecture with { Name = "other" }));
        Assert.Contains(path, renamed.Message);
        Assert.Contains("\"other\"", renamed.Message);
        var wider = Assert.Throws<FormatException>(() => ZooCheckpoint.Read(path, ZooTestData.Architecture with { Inputs = 100 }));
        Assert.Contains(path, wider.Message);
        Assert.Contains("\"1.weight\"", wider.Message);
        Assert.Contains("[3, 100]", wider.Message);
        var writeError = Assert.Throws<ArgumentException>(() =>
            ZooCheckpoint.Write(temp.File("w.safetensors"), ZooTestData.Architecture, new Dictionary<string, float[]> { ["1.weight"] = new float[3 * 784] }, new ZooCheckpointEntry()));
        Assert.Contains("\"1.bias\"", writeError.Message);
    }
}

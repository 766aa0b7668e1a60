using RawDiffusion.Tests.Data;
using RawDiffusion.Zoo;

namespace RawDiffusion.Tests.Zoo;

public class VectorizerLayoutTests
{
    static readonly TensorSpec[] Specs = [new("0.weight", [2, 3]), new("0.bias", [2])];

    static Dictionary<string, float[]> Values() => new() { ["0.weight"] = [1, 2, 3, 4, 5, 6], ["0.bias"] = [7, 8] };

    [Fact]
    public void ModelWiseSegmentsAreOnePerTensor()
    {
        var layout = WeightVectorizer.ModelWise(Specs, 10);
        Assert.Equal(WeightLayoutKind.ModelWise, layout.Kind);
        Assert.Equal(10, layout.VectorLength);
        Assert.Equal(8, layout.ParameterCount);
        Assert.Equal([new WeightSegment(0, "0.weight", 0, 0, 6, 0), new WeightSegment(1, "0.bias", 1, 0, 2, 6)], layout.Segments);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 0, 0], layout.Flatten(Values()));
        Assert.Contains("layer-wise", Assert.Throws<InvalidOperationException>(() => layout.ChunkCount).Message);
    }

    [Fact]
    public void LayerWiseChunksCarryTheirTensorOffsetAndValidLength()
    {
        var layout = WeightVectorizer.LayerWise(Specs, 4);
        Assert.Equal(3, layout.ChunkCount);
        Assert.Equal(4, layout.ChunkSize);
        Assert.Equal([new WeightSegment(0, "0.weight", 0, 0, 4, 0), new WeightSegment(1, "0.weight", 0, 4, 2, 4), new WeightSegment(2, "0.bias", 1, 0, 2, 8)], layout.Chunks);
        Assert.Equal([1, 2, 3, 4, 5, 6, 0, 0, 7, 8, 0, 0], layout.Flatten(Values()));
    }

    [Fact]
    public void BadConstructionArgumentsAreRefusedWithTheNumbers()
    {
        var padding = Assert.Throws<ArgumentException>(() => WeightVectorizer.ModelWise(Specs, 7));
        Assert.Contains("7", padding.Message);
        Assert.Contains("8 parameters", padding.Message);
        Assert.Equal("padTo", padding.ParamName);
        foreach (int chunkSize in new[] { 0, -3 })
        {
            var chunk = Assert.Throws<ArgumentException>(() => WeightVectorizer.LayerWise(Specs, chunkSize));
            Assert.Contains($"got {chunkSize}", chunk.Message);
            Assert.Equal("chunkSize", chunk.ParamName);
        }
        Assert.Contains("\"a\" appears more than once", Assert.Throws<ArgumentException>(() => WeightVectorizer.ModelWise([new("a", [1]), new("a", [2])])).Message);
        Assert.Contains("\"w\"", Assert.Throws<ArgumentException>(() => WeightVectorizer.LayerWise([new("w", [3, 0])], 2)).Message);
        Assert.Contains("at least one tensor", Assert.Throws<ArgumentException>(() => WeightVectorizer.ModelWise([])).Message);
        Assert.Contains("more values than an array", Assert.Throws<ArgumentException>(() => WeightVectorizer.ModelWise([new("big", [65536, 65536])])).Message);
    }

    [Fact]
    public void FlattenNamesTheMissingExtraOrWrongSizedTensor()
    {
        foreach (var layout in new[] { WeightVectorizer.ModelWise(Specs), WeightVectorizer.LayerWise(Specs, 4) })
        {
            var missing = Values();
            missing.Remove("0.bias");
            Assert.Contains("tensor \"0.bias\"", Assert.Throws<ArgumentException>(() => layout.Flatten(missing)).Message);

            var extra = Values();
            extra["1.weight"] = [1];
            Assert.Contains("tensor \"1.weight\" is not part of the layout", Assert.Throws<ArgumentException>(() => layout.Flatten(extra)).Message);

            var wrong = Values();
            wrong["0.weight"] = [1, 2, 3];
            var error = Assert.Throws<ArgumentException>(() => layout.Flatten(wrong));
            Assert.Contains("tensor \"0.weight\" has 3 values", error.Message);
            Assert.Contains("needs 6", error.Message);

            var many = Assert.Throws<ArgumentException>(() => layout.FlattenMany([Values(), missing]));
            Assert.StartsWith("model 1: tensor \"0.bias\"", many.Message);
        }
    }

    [Fact]
    public void UnflattenRefusesAVectorOfTheWrongLength()
    {
        var layout = WeightVectorizer.LayerWise(Specs, 4);
        var error = Assert.Throws<ArgumentException>(() => layout.Unflatten(new float[11]));
        Assert.Contains("11 values", error.Message);
        Assert.Contains("needs 12", error.Message);
        Assert.Contains("destination holds 13", Assert.Throws<ArgumentException>(() => layout.FlattenInto(Values(), new float[13])).Message);
    }

    [Fact]
    public void JsonRoundTripsAndSavesBesideTheModels()
    {
        using var folder = new TempFolder();
        foreach (var layout in new[] { WeightVectorizer.ModelWise(Specs, 16), WeightVectorizer.LayerWise(Specs, 5) })
        {
            var parsed = WeightVectorizer.Parse(layout.ToJson(), "test");
            Assert.Equal(layout, parsed);
            Assert.Equal(layout.Segments, parsed.Segments);
            string path = folder.File("layout.json");
            layout.Save(path);
            Assert.Equal(layout, WeightVectorizer.Load(path));
            Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp"));
        }
        Assert.NotEqual(WeightVectorizer.ModelWise(Specs), WeightVectorizer.ModelWise(Specs, 9));
        Assert.NotEqual(WeightVectorizer.LayerWise(Specs, 4), WeightVectorizer.LayerWise(Specs, 5));
    }

    [Theory]
    [InlineData("[1, 2]", "expected a JSON object")]
    [InlineData("{\"format\": \"rawdiffusion-weight-layout\", \"layout\": \"model-wise\", \"vectorLength\": 8", "not valid JSON")]
    [InlineData("{\"format\": \"other\", \"layout\": \"model-wise\", \"vectorLength\": 8, \"tensors\": []}", "field \"format\"")]
    [InlineData("{\"format\": \"rawdiffusion-weight-layout\", \"layout\": \"diagonal\", \"tensors\": [{\"name\": \"a\", \"shape\": [2]}]}", "field \"layout\"")]
    [InlineData("{\"format\": \"rawdiffusion-weight-layout\", \"layout\": \"model-wise\", \"tensors\": [{\"name\": \"a\", \"shape\": [2]}]}", "field \"vectorLength\" is missing")]
    [InlineData("{\"format\": \"rawdiffusion-weight-layout\", \"layout\": \"model-wise\", \"vectorLength\": 1, \"tensors\": [{\"name\": \"a\", \"shape\": [2]}]}", "padTo = 1")]
    [InlineData("{\"format\": \"rawdiffusion-weight-layout\", \"layout\": \"layer-wise\", \"chunkSize\": 0, \"tensors\": [{\"name\": \"a\", \"shape\": [2]}]}", "chunkSize must be at least 1")]
    [InlineData("{\"format\": \"rawdiffusion-weight-layout\", \"layout\": \"layer-wise\", \"chunkSize\": 2, \"vectorLength\": 2, \"tensors\": [{\"name\": \"a\", \"shape\": [2]}]}", "field \"vectorLength\" belongs to model-wise")]
    [InlineData("{\"format\": \"rawdiffusion-weight-layout\", \"layout\": \"layer-wise\", \"chunkSize\": 2, \"tensors\": [{\"name\": \"a\", \"shape\": [2.5]}]}", "field \"tensors\"[0].shape")]
    [InlineData("{\"format\": \"rawdiffusion-weight-layout\", \"layout\": \"layer-wise\", \"chunkSize\": 2, \"tensors\": [{\"shape\": [2]}]}", "field \"tensors\"[0].name is missing")]
    [InlineData("{\"format\": \"rawdiffusion-weight-layout\", \"layout\": \"layer-wise\", \"chunkSize\": 2, \"chunk\": 3, \"tensors\": []}", "unknown field \"chunk\"")]
    public void MalformedJsonIsRefusedNamingSourceAndField(string json, string expected)
    {
        var error = Assert.Throws<FormatException>(() => WeightVectorizer.Parse(json, "zoo/layout.json"));
        Assert.StartsWith("zoo/layout.json: ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void LoadingAMissingFileNamesIt()
    {
        using var folder = new TempFolder();
        string path = folder.File("absent.json");
        Assert.Contains(path, Assert.Throws<FileNotFoundException>(() => WeightVectorizer.Load(path)).Message);
    }
}

using RawDiffusion.IO;

namespace RawDiffusion.Tests.IO;

public sealed class SafeTensorsWriterTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    public static TheoryData<string, SafeTensorEntry[], SafeTensorDType, string> InvalidInputs() => new()
    {
        { "duplicate", [new("w", [1], [1f]), new("w", [1], [2f])], SafeTensorDType.F32, "Tensor name 'w' appears more than once." },
        { "metadata_name", [new("__metadata__", [1], [1f])], SafeTensorDType.F32, "A tensor cannot be named '__metadata__'" },
        { "length_mismatch", [new("w", [2, 2], [1f, 2f, 3f])], SafeTensorDType.F32, "Tensor 'w' has shape [2, 2] but 3 data values." },
        { "negative_dimension", [new("w", [-1, -1], [1f])], SafeTensorDType.F32, "Tensor 'w' has shape [-1, -1] with a negative dimension." },
        { "f16", [new("w", [1], [1f])], SafeTensorDType.F16, "SafeTensorsWriter stores F32 or BF16, not F16" },
        { "i64", [new("w", [1], [1f])], SafeTensorDType.I64, "SafeTensorsWriter stores F32 or BF16, not I64" },
        { "null_data", [new("w", [1], null!)], SafeTensorDType.F32, "Tensor 'w' has a null shape or null data." },
    };

    [Theory]
    [MemberData(nameof(InvalidInputs))]
    public void Invalid_input_leaves_an_existing_file_intact(string caseName, SafeTensorEntry[] tensors, SafeTensorDType dtype, string expected)
    {
        string path = folder.File(caseName + ".safetensors");
        SafeTensorsWriter.Write(path, [new SafeTensorEntry("old", [3], [1f, 2f, 3f])], new Dictionary<string, string> { ["v"] = "1" });
        byte[] before = File.ReadAllBytes(path);

        var exception = Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, tensors, dtype: dtype));

        Assert.Contains(expected, exception.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void Null_metadata_value_is_rejected_before_writing()
    {
        string path = folder.File("meta.safetensors");

        var exception = Assert.Throws<ArgumentException>(() =>
            SafeTensorsWriter.Write(path, [new SafeTensorEntry("w", [1], [1f])], new Dictionary<string, string> { ["k"] = null! }));

        Assert.Contains("Metadata entry 'k' has a null value.", exception.Message);
        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void Failure_while_writing_leaves_no_temporary_file_behind()
    {
        string missingFolder = Path.Combine(folder.Path, "does-not-exist", "w.safetensors");

        Assert.Throws<DirectoryNotFoundException>(() => SafeTensorsWriter.Write(missingFolder, [new SafeTensorEntry("w", [1], [1f])]));

        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public void Overwriting_replaces_the_file_while_an_open_reader_keeps_the_old_content()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Windows refuses to replace a file that is memory-mapped.");
        string path = folder.File("w.safetensors");
        SafeTensorsWriter.Write(path, [new SafeTensorEntry("w", [2], [1f, 2f])]);
        using var oldReader = SafeTensorsFile.Open(path);

        SafeTensorsWriter.Write(path, [new SafeTensorEntry("w", [3], [4f, 5f, 6f])]);

        using var newReader = SafeTensorsFile.Open(path);
        Assert.Equal([4f, 5f, 6f], newReader.ReadFloat32("w"));
        Assert.Equal([1f, 2f], oldReader.ReadFloat32("w"));
        Assert.Equal([path], Directory.GetFiles(folder.Path));
    }
}

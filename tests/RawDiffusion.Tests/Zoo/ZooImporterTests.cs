using RawDiffusion.IO;
using RawDiffusion.Tests.IO;
using RawDiffusion.Zoo;

namespace RawDiffusion.Tests.Zoo;

/// <summary>
/// Imports the state dicts tools/fixtures/make_zoo_import_fixture.py wrote with PyTorch (F32, F64, F16 and BF16
/// files of torch.nn.Sequential(Flatten(), Linear(64, 5))) and compares with the values and logits torch computed.
/// </summary>
public class ZooImporterTests
{
    static readonly string Source = Path.Combine(AppContext.BaseDirectory, "Fixtures", "zoo-import");
    static readonly string Csv = Path.Combine(Source, "mapping.csv");
    static readonly TargetArchitecture Head = TargetArchitecture.BuiltIn["linear-head"];

    static float[] Npy(string name) => NpyFile.Read(Path.Combine(Source, name)).ToFloat32();

    [Fact]
    public void ImportedNetworksHoldTorchsTensorsAndComputeTorchsLogits()
    {
        using var temp = new TempFolder();
        var destination = temp.File("zoo");
        var manifest = ZooImporter.Import(Source, Csv, Head, destination);
        Assert.Equal(manifest.ToJson(), ZooManifest.Load(destination).ToJson());
        Assert.Equal(["fashion-mnist:0-1-2-3-4", "fashion-mnist:4-3-2-1-0", "mnist-digits:5-6-7-8-9"], manifest.Tasks.Select(t => t.Id));
        Assert.Equal(["5", "6", "7", "8", "9"], manifest.Tasks[2].ClassNames);
        Assert.Equal(["Coat", "Dress", "Pullover", "Trouser", "T-shirt/top"], manifest.Tasks[1].ClassNames);
        Assert.Equal("fashion-mnist,mnist-digits", manifest.Data.Domain);
        Assert.Equal(ZooFeatures.BackboneKind, manifest.Features.Kind);
        Assert.Null(manifest.Training);

        // CSV order; head-b has no seed or epoch (seed 0, epoch 0), head-c no epoch.
        var expected = new (string Stem, string Task, int Seed, int Epoch, double? Train, double? Test)[]
        {
            ("head-a", "fashion-mnist:0-1-2-3-4", 3, 10, 0.9, 0.85),
            ("head-b", "fashion-mnist:4-3-2-1-0", 0, 0, null, null),
            ("head-c", "mnist-digits:5-6-7-8-9", 1, 0, 0.75, null),
            ("head-d", "fashion-mnist:0-1-2-3-4", 4, 10, null, 0.5),
        };
        Assert.Equal(expected.Select(e => (e.Task, e.Seed, e.Epoch, e.Train, e.Test)),
            manifest.Checkpoints.Select(c => (c.Task, c.Seed, c.Epoch, c.TrainAccuracy, c.TestAccuracy)));

        var input = Npy("input.npy");
        for (int i = 0; i < expected.Length; i++)
        {
            var (tensors, entry) = ZooCheckpoint.Read(ZooManifest.PathOf(destination, manifest.Checkpoints[i]), Head);
            Assert.Equal(expected[i].Seed, entry.Seed);
            Assert.Equal(Npy($"{expected[i].Stem}.1.weight.npy"), tensors["1.weight"]);
            Assert.Equal(Npy($"{expected[i].Stem}.1.bias.npy"), tensors["1.bias"]);
            using var model = Head.Load(tensors);
            using var x = Tensor.FromArray(input, 4, 64);
            using var logits = model.Forward(x);
            var torchLogits = Npy($"{expected[i].Stem}.logits.npy");
            var ours = logits.ToArray<float>();
            Assert.Equal(torchLogits.Length, ours.Length);
            for (int k = 0; k < ours.Length; k++)
                Assert.True(Math.Abs(ours[k] - torchLogits[k]) <= 1e-5, $"{expected[i].Stem} logit {k}: {ours[k]} vs torch {torchLogits[k]}");
        }

        var again = Assert.Throws<IOException>(() => ZooImporter.Import(Source, Csv, Head, destination));
        Assert.Contains("zoo.json", again.Message);
    }

    [Fact]
    public void ClassNamesComeFromTheGivenDomains()
    {
        using var temp = new TempFolder();
        var csv = temp.Write("map.csv", "task,file\nshapes:1-0-2-3-4,head-a.safetensors\n"u8.ToArray());
        var names = new Dictionary<string, IReadOnlyList<string>> { ["shapes"] = ["a", "b", "c", "d", "e"] };
        var manifest = ZooImporter.Import(Source, csv, Head, temp.File("zoo"), names);
        Assert.Equal(["b", "a", "c", "d", "e"], manifest.Tasks[0].ClassNames);
        Assert.Equal((0, 0), (manifest.Checkpoints[0].Seed, manifest.Checkpoints[0].Epoch));
    }

    /// <summary>Imports a one-off CSV and returns the error, checking that nothing was written.</summary>
    static Exception ImportError(string csvText, TargetArchitecture? architecture = null)
    {
        using var temp = new TempFolder();
        var csv = temp.Write("map.csv", System.Text.Encoding.UTF8.GetBytes(csvText));
        var destination = temp.File("zoo");
        var error = Assert.ThrowsAny<Exception>(() => ZooImporter.Import(Source, csv, architecture ?? Head, destination));
        Assert.True(error is FormatException or IOException, error.ToString());
        Assert.Contains(csv, error.Message);
        Assert.False(Directory.Exists(destination));
        return error;
    }

    [Fact]
    public void AMissingColumnIsNamed()
    {
        var message = ImportError("file,seed\nhead-a.safetensors,1\n").Message;
        Assert.Contains("line 1", message);
        Assert.Contains("\"task\"", message);
    }

    [Fact]
    public void AnUnknownColumnIsNamed()
    {
        var message = ImportError("file,task,lr\nhead-a.safetensors,fashion-mnist:0-1-2-3-4,0.1\n").Message;
        Assert.Contains("line 1, column 3", message);
        Assert.Contains("\"lr\"", message);
    }

    [Fact]
    public void AnUnknownTaskDomainIsNamed()
    {
        var message = ImportError("file,task\nhead-a.safetensors,fashion-mnist:0-1-2-3-4\nhead-b.safetensors,cifar:0-1-2-3-4\n").Message;
        Assert.Contains("line 3, column \"task\"", message);
        Assert.Contains("unknown task domain \"cifar\"", message);
    }

    [Theory]
    [InlineData("fashion-mnist:0-1-x-3-4")]
    [InlineData("fashion-mnist:0-1-1-3-4")]
    [InlineData("fashion-mnist:0-1-2-3-10")]
    [InlineData("fashion-mnist:")]
    [InlineData("fashion-mnist")]
    public void ABadClassListIsNamed(string task)
    {
        var message = ImportError($"file,task\nhead-a.safetensors,{task}\n").Message;
        Assert.Contains("line 2, column \"task\"", message);
    }

    [Fact]
    public void ATaskWithTheWrongClassCountIsNamed()
    {
        var message = ImportError("file,task\nhead-a.safetensors,fashion-mnist:0-1-2\n").Message;
        Assert.Contains("line 2, column \"task\"", message);
        Assert.Contains("3 classes", message);
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        var error = ImportError("file,task\nhead-a.safetensors,fashion-mnist:0-1-2-3-4\nnope.safetensors,fashion-mnist:0-1-2-3-4\n");
        Assert.IsType<FileNotFoundException>(error);
        Assert.Contains("line 3, column \"file\"", error.Message);
        Assert.Contains("nope.safetensors", error.Message);
    }

    [Fact]
    public void AWrongTensorShapeIsNamedWithTheExpectedTensors()
    {
        var message = ImportError("file,task\nhead-a.safetensors,fashion-mnist:0-1-2-3-4\n", Head with { Inputs = 32 }).Message;
        Assert.Contains("line 2", message);
        Assert.Contains("head-a.safetensors", message);
        Assert.Contains("\"1.weight\" has shape [5, 64]", message);
        Assert.Contains("expects 1.weight [5, 32], 1.bias [5]", message);
    }

    [Fact]
    public void BadNumbersAndDuplicatesAreNamed()
    {
        Assert.Contains("line 2, column \"seed\"", ImportError("file,task,seed\nhead-a.safetensors,fashion-mnist:0-1-2-3-4,one\n").Message);
        Assert.Contains("line 2, column \"test_accuracy\"", ImportError("file,task,test_accuracy\nhead-a.safetensors,fashion-mnist:0-1-2-3-4,1.5\n").Message);
        var duplicate = ImportError("file,task,seed\nhead-a.safetensors,fashion-mnist:0-1-2-3-4,2\nhead-d.safetensors,fashion-mnist:0-1-2-3-4,2\n").Message;
        Assert.Contains("line 3", duplicate);
        Assert.Contains("line 2", duplicate);
        Assert.Contains("line 2: 2 cells", ImportError("file,task,seed\nhead-a.safetensors,fashion-mnist:0-1-2-3-4\n").Message);
    }

    [Fact]
    public void ADestinationHoldingAZooIsRefused()
    {
        using var temp = new TempFolder();
        var path = ZooTestData.WriteSmallZoo(temp.Path);
        var before = File.ReadAllBytes(path);
        var error = Assert.Throws<IOException>(() => ZooImporter.Import(Source, Csv, Head, temp.Path));
        Assert.Contains(path, error.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
    }
}

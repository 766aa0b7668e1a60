using System.CommandLine;
using System.IO.Compression;
using System.Text;
using CsCheck;
using RawDiffusion.Data;
using RawDiffusion.IO;
using RawDiffusion.Models;
using RawDiffusion.Pipeline;
using RawDiffusion.Tests.Data;
using RawDiffusion.Tests.Pipeline;
using RawDiffusion.Trainer;
using RawDiffusion.Zoo;
using IoFixtures = RawDiffusion.Tests.IO.Fixtures;

namespace RawDiffusion.Tests.Reliability.Fuzzing;

/// <summary>
/// Every parser that reads outside input, fuzzed with <see cref="Fuzzer"/> (10,000 mutated cases each in CI): each case
/// ends in a valid result or the parser's own error naming the file, never another exception type, a hang or an
/// allocation beyond the bound stated here (a multiple of the input's size: what the parser may legitimately make of
/// it, plus a fixed allowance).
/// </summary>
public class ParserFuzzTests
{
    const long Allowance = 4L << 20;

    static byte[][] Read(params string[] paths) => paths.Select(File.ReadAllBytes).ToArray();

    static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    [Fact]
    public void SafeTensorsFiles() => Fuzzer.Files(
        Read(IoFixtures.PathOf("reference.safetensors"), IoFixtures.PathOf("sharded/model-00001-of-00002.safetensors"), IoFixtures.PathOf("sharded/model-00002-of-00002.safetensors")),
        folder => Path.Combine(folder, "case.safetensors"),
        path =>
        {
            using var file = SafeTensorsFile.Open(path);
            foreach (var tensor in file.Tensors)
                if (tensor.DType.IsInteger()) file.ReadInt64(tensor.Name);
                else file.ReadFloat64(tensor.Name);
        },
        e => e is SafeTensorsFormatException,
        // Tensors widen to 8-byte values: at most 8 per input byte, twice over for the conversion.
        length => 16 * length + Allowance);

    [Fact]
    public void SafeTensorsIndex() => Fuzzer.Files(
        Read(IoFixtures.PathOf("sharded/model.safetensors.index.json")),
        folder =>
        {
            foreach (var shard in Directory.GetFiles(IoFixtures.PathOf("sharded"), "*.safetensors")) File.Copy(shard, Path.Combine(folder, Path.GetFileName(shard)));
            return Path.Combine(folder, "model.safetensors.index.json");
        },
        path =>
        {
            using var model = ShardedSafeTensors.Open(path);
            foreach (var tensor in model.Tensors)
                if (tensor.DType.IsInteger()) model.ReadInt64(tensor.Name);
                else model.ReadFloat64(tensor.Name);
        },
        e => e is SafeTensorsFormatException,
        length => 64 * length + Allowance);

    [Fact]
    public void NpyFiles() => Fuzzer.Files(
        Read(Directory.GetFiles(IoFixtures.Folder, "*.npy").Order().ToArray()),
        folder => Path.Combine(folder, "case.npy"),
        path =>
        {
            var array = NpyFile.Read(path);
            if (array.Descr[1] is 'f') array.ToFloat64();
            else if (array.Descr[1] is 'i' or 'u') array.ToInt64();
        },
        e => e is NpyFormatException,
        length => 32 * length + Allowance);

    static byte[][] IdxSeeds()
    {
        using var folder = new TempFolder();
        var pixels = Enumerable.Range(0, 3 * 4 * 5).Select(i => (byte)(i * 37)).ToArray();
        IdxWriter.WriteImages(folder.File("images"), new ByteImages(3, 4, 5, pixels), compress: false);
        IdxWriter.WriteLabels(folder.File("labels"), [0, 2, 1], compress: false);
        return Read(folder.File("images"), folder.File("labels"));
    }

    static void ReadIdx(string path)
    {
        // The same bytes as images and as labels: each reader must refuse the other's files by name.
        try { IdxReader.ReadImages(path); }
        catch (InvalidDataException e) { Assert.Contains(path, e.Message); }
        IdxReader.ReadLabels(path);
    }

    [Fact]
    public void IdxFiles() => Fuzzer.Files(IdxSeeds(), folder => Path.Combine(folder, "case-ubyte"), ReadIdx,
        e => e is InvalidDataException, length => 8 * length + Allowance);

    /// <summary>Gzip-compressed IDX, mutated after compression (a damaged download). Deflate expands at most 1032-fold;
    /// the decompression buffer may double, and the data is copied once.</summary>
    [Fact]
    public void GzipIdxFiles() => Fuzzer.Files(IdxSeeds().Select(Gzip).ToArray(), folder => Path.Combine(folder, "case-ubyte.gz"), ReadIdx,
        e => e is InvalidDataException, length => 4 * 1032 * length + Allowance);

    /// <summary>The IDX payload mutated before compression (a buggy writer), so the gzip layer is intact.</summary>
    [Fact]
    public void GzipIdxPayloads()
    {
        var seeds = IdxSeeds();
        string root = Path.Combine(Path.GetTempPath(), "rawdiffusion-fuzz-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            Fuzzer.Run(Fuzzer.CaseGen(seeds.Length), c =>
            {
                string path = Path.Combine(root, $"{Environment.CurrentManagedThreadId}-ubyte.gz");
                var bytes = Gzip(c.Apply(seeds));
                File.WriteAllBytes(path, bytes);
                Fuzzer.Check(c, path, () => ReadIdx(path), e => e is InvalidDataException, 4 * 1032 * bytes.Length + Allowance);
            });
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    /// <summary>A JSON parser that takes text and a source name.</summary>
    static void Text(IReadOnlyList<byte[]> seeds, Action<string, string> parse, long bound = 256) =>
        Fuzzer.Run(Fuzzer.CaseGen(seeds.Count), c =>
        {
            var bytes = c.Apply(seeds);
            string json = Encoding.UTF8.GetString(bytes);
            Fuzzer.Check(c, "fuzz.json", () => parse(json, "fuzz.json"), e => e is FormatException, bound * bytes.Length + Allowance);
        });

    static string ConfigFile(string name) => Path.Combine(DataLocator.FindRepositoryRoot(AppContext.BaseDirectory)!, "configs", name);

    [Fact]
    public void PipelineConfigs() => Text(
        [Encoding.UTF8.GetBytes(TinyPipeline.Json), .. Read(ConfigFile("demo.json"), ConfigFile("zoo-cnn.json"))],
        (json, source) => ConfigValidation.Check(PipelineConfig.Parse(json, source), source, 16L << 30),
        // Drawing up to the 30,240 distinct tasks a domain allows makes a few objects per task.
        bound: 16 * 1024);

    [Fact]
    public void ModelConfigs() => Text(Read(ConfigFile("tiny.json"), ConfigFile("d2nwg-small.json"), ConfigFile("d2nwg-base.json")),
        (json, source) => ModelConfig.Parse(json, source));

    [Fact]
    public void ArchitectureFiles() => Text(Read(Directory.GetFiles(ConfigFile("architectures"), "*.json").Order().ToArray()),
        (json, source) => TargetArchitecture.Parse(json, source));

    /// <summary>zoo.json with its checkpoint files beside it, read and checked as `train vae` reads it.</summary>
    [Fact]
    public void ZooManifests()
    {
        using var template = new TempFolder();
        string source = Path.Combine(AppContext.BaseDirectory, "Fixtures", "zoo-import");
        ZooImporter.Import(source, Path.Combine(source, "mapping.csv"), TargetArchitecture.BuiltIn["linear-head"], template.File("zoo"));
        Fuzzer.Files(Read(template.File("zoo/zoo.json")),
            folder =>
            {
                CopyFolder(template.File("zoo"), folder);
                return Path.Combine(folder, ZooManifest.FileName);
            },
            path => ZooManifest.LoadFile(path, Path.GetDirectoryName(path)!),
            // A checkpoint the manifest lists but the folder lacks is named with its path.
            e => e is FormatException or FileNotFoundException,
            length => 256 * length + Allowance);
    }

    static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        foreach (var folder in Directory.GetDirectories(from)) CopyFolder(folder, Path.Combine(to, Path.GetFileName(folder)));
    }

    static IEnumerable<Command> Commands(Command command) => command.Subcommands.SelectMany(Commands).Prepend(command);

    /// <summary>The trainer's argument parser on random token sequences: commands, every option name, and values that are
    /// garbage, extreme numbers, bad task ids and paths. Parsing (and every option check) must not throw, and no error
    /// may show a .NET type name.</summary>
    [Fact]
    public void CommandLineArguments()
    {
        var root = Cli.BuildRoot();
        string[] tokens =
        [
            .. Commands(root).Select(c => c.Name).Distinct(),
            .. Commands(root).SelectMany(c => c.Options).SelectMany(o => o.Aliases.Prepend(o.Name)).Distinct(),
            "abc", "-5", "0", "1", "3", "-1", "2147483648", "99999999999999999999", "1e308", "NaN", "Infinity", "0.5", "", " ", "--",
            "0/3", "2/1", "1/1", "x/y", "fashion-mnist:0-1-2", "fashion-mnist:0-0-1", "mnist-digits:9-10", "cifar:1-2", ":", "/proc/foo",
            "runs/x", "a b", "\u00e9\u00e8", "--no-such-option", "-", "-x", "mlp", "vit", "@response-file",
        ];
        var threadRoot = new ThreadLocal<RootCommand>(Cli.BuildRoot);
        Fuzzer.Run(Gen.Int[0, tokens.Length - 1].Array[0, 8], picks =>
        {
            string[] args = picks.Select(i => tokens[i]).ToArray();
            string shown = string.Join(" ", args.Select(a => $"[{a}]"));
            ParseResult result;
            try { result = threadRoot.Value!.Parse(args); }
            catch (Exception e) { Assert.Fail($"{shown}: parsing threw {e.GetType().FullName}: {e.Message}"); return; }
            foreach (var error in result.Errors)
                Assert.False(error.Message.Contains("System.") || error.Message.Contains("`1"), $"{shown}: error names a .NET type: {error.Message}");
        });
    }
}

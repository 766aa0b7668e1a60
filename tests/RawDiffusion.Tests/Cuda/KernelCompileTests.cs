using System.Text;
using System.Text.RegularExpressions;
using RawDiffusion.Backends;
using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Tests.Cuda;

/// <summary>Every kernel source compiles with the installed NVRTC for sm_90 (H100/H200) to CUBIN, with the options
/// the backend uses, without errors or warnings, and defines exactly the kernels the catalogue names. Runs wherever
/// NVRTC loads — no GPU needed — and in CI, which installs it.</summary>
public partial class KernelCompileTests
{
    static readonly KernelSources Sources = KernelSources.Locate();

    public static TheoryData<string> KernelFiles => new(KernelSources.Locate().SourceFiles);

    [Fact]
    public void TheCatalogueListsEveryKernelFileOnceAndEveryKernelNameOnce()
    {
        Assert.Equal(Sources.SourceFiles, KernelCatalog.All.Select(f => f.FileName).Order(StringComparer.Ordinal));
        var names = KernelCatalog.All.SelectMany(f => f.Kernels).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        foreach (var file in KernelCatalog.All)
            foreach (var kernel in file.Kernels)
                Assert.Same(file, KernelCatalog.FileOf(kernel));
        Assert.Throws<ArgumentException>(() => KernelCatalog.FileOf("no_such_kernel"));
    }

    [Theory]
    [MemberData(nameof(KernelFiles))]
    public void CompilesToCubinForSm90WithoutWarningsAndDefinesExactlyTheCataloguedKernels(string fileName)
    {
        NvrtcAvailability.Require();
        var options = KernelCompiler.Options("sm_90", KernelCompiler.NvrtcVersion);
        var output = NvrtcProgram.Compile(fileName, Sources.Read(fileName), Sources.Headers, options);
        Assert.True(output.Succeeded, $"{fileName} failed to compile ({output.Status}):\n{output.Log}");
        Assert.True(output.Log.Length == 0, $"{fileName} compiled with diagnostics (warnings count as errors):\n{output.Log}");
        Assert.True(output.Cubin.Length > 4 && output.Cubin[0] == 0x7f && output.Cubin[1] == (byte)'E', $"{fileName}: no sm_90 ELF image");
        var entries = EntryPattern().Matches(Encoding.UTF8.GetString(output.Ptx)).Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal);
        var catalogued = KernelCatalog.All.Single(f => f.FileName == fileName).Kernels.Order(StringComparer.Ordinal);
        Assert.Equal(catalogued, entries);
    }

    [Theory]
    [InlineData("unary.cu", "UNARY", typeof(UnaryOp))]
    [InlineData("binary.cu", "BINARY", typeof(BinaryOp))]
    [InlineData("reduce.cu", "REDUCE", typeof(ReduceOp))]
    public void OpCodesInTheKernelsAreTheEnumValues(string fileName, string prefix, Type enumType)
    {
        var codes = CodePattern().Matches(Sources.Read(fileName))
            .Where(m => m.Groups[1].Value == prefix)
            .ToDictionary(m => m.Groups[2].Value, m => int.Parse(m.Groups[3].Value));
        var expected = Enum.GetValues(enumType).Cast<Enum>()
            .ToDictionary(v => ScreamingSnake(v.ToString()), v => Convert.ToInt32(v));
        Assert.Equal(expected.OrderBy(p => p.Value), codes.OrderBy(p => p.Value));
    }

    static string ScreamingSnake(string pascal) => UpperBoundary().Replace(pascal, "_$1").ToUpperInvariant();

    [GeneratedRegex(@"\.entry\s+(\w+)")]
    private static partial Regex EntryPattern();

    [GeneratedRegex(@"\b(UNARY|BINARY|REDUCE)_([A-Z0-9_]+)\s*=\s*(\d+)")]
    private static partial Regex CodePattern();

    [GeneratedRegex(@"(?<=[a-z0-9])([A-Z])")]
    private static partial Regex UpperBoundary();
}

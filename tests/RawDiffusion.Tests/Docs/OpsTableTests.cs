using System.Reflection;
using System.Text.RegularExpressions;
using RawDiffusion.Backends;
using RawDiffusion.Data;

namespace RawDiffusion.Tests.Docs;

/// <summary>docs/ops.md, the map from each op to its autograd Function, backend primitives, CPU file, kernel file and
/// tests, stays true as the code changes: names and files exist where the table says, and nothing is missing from it.</summary>
public partial class OpsTableTests
{
    static readonly string Root = DataLocator.FindRepositoryRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("repository not found");

    sealed record Row(int Line, string Op, string[] FunctionCell, string[] Primitives, string[] CpuFiles, string[] KernelFiles, string[] Tests);

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Quoted();

    static string[] Tokens(string cell) => Quoted().Matches(cell).Select(m => m.Groups[1].Value).ToArray();

    static List<Row> Rows()
    {
        var lines = File.ReadAllLines(Path.Combine(Root, "docs", "ops.md"));
        var rows = new List<Row>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("| `", StringComparison.Ordinal)) continue;
            var cells = lines[i].Trim().Trim('|').Split('|');
            Assert.True(cells.Length == 6, $"docs/ops.md line {i + 1}: {cells.Length} cells, expected 6");
            rows.Add(new Row(i + 1, cells[0].Trim(), Tokens(cells[1]), Tokens(cells[2]), Tokens(cells[3]), Tokens(cells[4]), Tokens(cells[5])));
        }
        Assert.NotEmpty(rows);
        return rows;
    }

    static readonly string[] NotPrimitives = ["get_Name", "get_Description", "Allocate", "Upload", "Download", "Synchronize"];

    static MethodInfo[] BackendPrimitives() => typeof(IBackend).GetMethods().Where(m => !NotPrimitives.Contains(m.Name)).ToArray();

    [Fact]
    public void EveryFunctionIsDeclaredInTheFileItsRowNames()
    {
        foreach (var row in Rows())
        {
            var pending = new List<string>();
            foreach (var token in row.FunctionCell)
            {
                if (!token.EndsWith(".cs", StringComparison.Ordinal))
                {
                    pending.Add(token);
                    continue;
                }
                string file = Path.Combine(Root, "src", "RawDiffusion", token);
                Assert.True(File.Exists(file), $"docs/ops.md line {row.Line}: {token} does not exist under src/RawDiffusion");
                string text = File.ReadAllText(file);
                foreach (var name in pending)
                    Assert.True(Regex.IsMatch(text, $@"class {name}\b"), $"docs/ops.md line {row.Line}: {name} is not declared in {token}");
                pending.Clear();
            }
            Assert.True(pending.Count == 0, $"docs/ops.md line {row.Line}: {string.Join(", ", pending)} without a file");
        }
    }

    [Fact]
    public void EveryFunctionOfTheEngineHasARow()
    {
        var listed = Rows().SelectMany(r => r.FunctionCell).ToHashSet();
        var functions = typeof(Tensor).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(Function)) && !t.IsAbstract).Select(t => t.Name);
        Assert.Empty(functions.Where(f => !listed.Contains(f)));
    }

    [Fact]
    public void EveryPrimitiveIsImplementedInItsRowsCpuFileAndInTheCudaBackend()
    {
        var primitives = BackendPrimitives();
        var cuda = Directory.GetFiles(Path.Combine(Root, "src", "RawDiffusion.Cuda", "Backend"), "CudaBackend.*.cs").Select(File.ReadAllText).ToArray();
        foreach (var row in Rows())
        {
            var cpu = row.CpuFiles.Select(f =>
            {
                string path = Path.Combine(Root, "src", "RawDiffusion", "Backends", "Cpu", f);
                Assert.True(File.Exists(path), $"docs/ops.md line {row.Line}: {f} does not exist in src/RawDiffusion/Backends/Cpu");
                return File.ReadAllText(path);
            }).ToArray();
            foreach (var name in row.Primitives)
            {
                var method = primitives.FirstOrDefault(m => m.Name == name);
                Assert.True(method != null, $"docs/ops.md line {row.Line}: {name} is not an IBackend primitive");
                var declaration = new Regex($@"public (unsafe )?(void|long|bool) {name}\(");
                Assert.True(cpu.Any(declaration.IsMatch), $"docs/ops.md line {row.Line}: {name} is not implemented in {string.Join(", ", row.CpuFiles)}");
                // A primitive with a default implementation (the optional direct convolutions) may be absent on CUDA.
                if (method!.IsAbstract)
                    Assert.True(cuda.Any(declaration.IsMatch), $"docs/ops.md line {row.Line}: {name} is not implemented in any CudaBackend.*.cs");
            }
        }
    }

    [Fact]
    public void EveryPrimitiveHasARow()
    {
        var listed = Rows().SelectMany(r => r.Primitives).ToHashSet();
        Assert.Empty(BackendPrimitives().Select(m => m.Name).Distinct().Where(name => !listed.Contains(name)));
    }

    [Fact]
    public void KernelAndTestFilesExist()
    {
        foreach (var row in Rows())
        {
            Assert.NotEmpty(row.Tests);
            foreach (var kernel in row.KernelFiles)
                Assert.True(File.Exists(Path.Combine(Root, "kernels", kernel)), $"docs/ops.md line {row.Line}: kernels/{kernel} does not exist");
            foreach (var test in row.Tests)
                Assert.True(File.Exists(Path.Combine(Root, "tests", "RawDiffusion.Tests", test)), $"docs/ops.md line {row.Line}: tests/RawDiffusion.Tests/{test} does not exist");
        }
    }
}

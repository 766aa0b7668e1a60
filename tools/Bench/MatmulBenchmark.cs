using System.Globalization;
using RawDiffusion.Backends.Cpu;
using Spectre.Console;

namespace RawDiffusion.Bench;

/// <summary>
/// Square fp32 matmul C = A B at several sizes with the managed kernel, our BLAS path and PyTorch, as GFLOP/s
/// (2 n^3 / median time) and ratios to PyTorch; prints a table and stores it in docs/bench/cpu.md.
/// </summary>
internal static unsafe class MatmulBenchmark
{
    private const string SectionHeading = "Matmul";
    private static readonly int[] DefaultSizes = [256, 512, 1024, 2048];

    public static int Run(string[] options)
    {
        if (!TryParseSizes(options, out int[] sizes, out string error))
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(error)}[/]");
            AnsiConsole.WriteLine("usage: matmul [--sizes 256,512,1024,2048]");
            return 2;
        }

        var timing = new Timing();
        int threads = Environment.ProcessorCount;
        string? loadBefore = MachineDescription.LoadAverage;
        AnsiConsole.MarkupLine($"Measuring the {Markup.Escape(ManagedGemm.Description)} ...");
        // All managed runs first, then all BLAS runs: BLAS worker threads keep spinning for a while after a
        // call and would steal cores from a managed run measured right after one.
        double[] managed = sizes.Select(n => Gflops(n, timing.MedianSeconds(Multiplication(n, ManagedMultiply)))).ToArray();
        double?[] blas = sizes.Select(n => Blas.IsAvailable ? Gflops(n, timing.MedianSeconds(Multiplication(n, BlasMultiply))) : (double?)null).ToArray();
        if (!Blas.IsAvailable)
        {
            AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(Blas.NotFoundMessage)}[/]");
        }

        AnsiConsole.MarkupLine("Measuring PyTorch ...");
        TorchReport? torch = TorchReference.TryRun("matmul",
            ["--threads", threads.ToString(CultureInfo.InvariantCulture), "--sizes", string.Join(',', sizes), .. timing.ToPythonArguments()],
            out string torchProblem);
        if (torch is null)
        {
            AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(torchProblem)}[/]");
        }

        Dictionary<int, double> torchGflops = torch is null
            ? []
            : torch.Results.EnumerateArray().ToDictionary(result => result.GetProperty("n").GetInt32(), result => result.GetProperty("gflops").GetDouble());

        var table = new ResultTable("n", "managed GFLOP/s", "BLAS GFLOP/s", "PyTorch GFLOP/s", "managed / PyTorch", "BLAS / PyTorch");
        for (int index = 0; index < sizes.Length; index++)
        {
            double? reference = torchGflops.TryGetValue(sizes[index], out double value) ? value : null;
            table.AddRow(
                sizes[index].ToString(CultureInfo.InvariantCulture),
                Format(managed[index]), Format(blas[index]), Format(reference),
                Ratio(managed[index], reference), Ratio(blas[index], reference));
        }

        AnsiConsole.Write(table.ToConsoleTable("Square fp32 matmul"));
        string report = Describe(threads, timing, torch, torchProblem, sizes, loadBefore) + "\n\n" + table.ToMarkdown();
        MarkdownReport.ReplaceSection(MarkdownReport.CpuReportPath, SectionHeading, report);
        AnsiConsole.MarkupLine($"Written to {Markup.Escape(MarkdownReport.CpuReportPath)}");
        return 0;
    }

    private static string Describe(int threads, Timing timing, TorchReport? torch, string torchProblem, int[] sizes, string? loadBefore)
    {
        string load = loadBefore is null ? "" : $" Load average (1 min) {loadBefore} before and {MachineDescription.LoadAverage} after the run.";
        string torchLine = torch is null
            ? $"- PyTorch: not measured: {torchProblem}"
            : $"- PyTorch {torch.TorchVersion} using {torch.Blas}, torch.set_num_threads({torch.Threads}) ({torch.Python})";
        return string.Join('\n',
            $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {MachineDescription.CpuModel}, {MachineDescription.Cores} cores, {MachineDescription.Runtime}.{load}",
            "",
            $"- Managed: {ManagedGemm.Description}, {threads} threads",
            $"- BLAS path: {(Blas.IsAvailable ? $"{Blas.Description}, {Blas.Threads} threads" : "no system BLAS loaded")}",
            torchLine,
            $"- C = A B with n x n float32 matrices; GFLOP/s = 2 n^3 / median time over at least {timing.MinRepeats} runs " +
            $"and {timing.MinSeconds:0.#} s after {timing.Warmup} warm-up runs, the same policy for all three.",
            $"- Command: `dotnet run -c Release --project tools/Bench -- matmul --sizes {string.Join(',', sizes)}`");
    }

    private static Action Multiplication(int n, Action<int, float[], float[], float[]> multiply)
    {
        var random = new Random(n);
        float[] a = new float[n * n], b = new float[n * n], c = new float[n * n];
        for (int index = 0; index < a.Length; index++)
        {
            a[index] = random.NextSingle() * 2 - 1;
            b[index] = random.NextSingle() * 2 - 1;
        }

        return () => multiply(n, a, b, c);
    }

    private static void ManagedMultiply(int n, float[] a, float[] b, float[] c) =>
        ManagedGemm.Sgemm(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n);

    private static void BlasMultiply(int n, float[] a, float[] b, float[] c)
    {
        fixed (float* aPointer = a)
        fixed (float* bPointer = b)
        fixed (float* cPointer = c)
        {
            Blas.Sgemm(new GemmOperands<float>(false, false, n, n, n, 1f, aPointer, n, bPointer, n, 0f, cPointer, n));
        }
    }

    private static double Gflops(int n, double seconds) => 2.0 * n * n * n / seconds / 1e9;

    private static string Format(double? gflops) => gflops is { } value ? value.ToString("0.0", CultureInfo.InvariantCulture) : "n/a";

    private static string Ratio(double? ours, double? reference) =>
        ours is { } value && reference is { } baseline ? (value / baseline).ToString("0.00", CultureInfo.InvariantCulture) : "n/a";

    private static bool TryParseSizes(string[] options, out int[] sizes, out string error)
    {
        sizes = DefaultSizes;
        error = "";
        for (int index = 0; index < options.Length; index++)
        {
            if (options[index] != "--sizes" || index + 1 >= options.Length)
            {
                error = $"Unexpected option '{options[index]}'.";
                return false;
            }

            string[] values = options[++index].Split(',', StringSplitOptions.RemoveEmptyEntries);
            sizes = new int[values.Length];
            for (int value = 0; value < values.Length; value++)
            {
                if (!int.TryParse(values[value], NumberStyles.None, CultureInfo.InvariantCulture, out sizes[value]) || sizes[value] <= 0)
                {
                    error = $"'{values[value]}' is not a positive matrix size.";
                    return false;
                }
            }

            if (sizes.Length == 0)
            {
                error = "--sizes needs at least one size.";
                return false;
            }
        }

        return true;
    }
}

using System.Diagnostics;
using System.Globalization;
using RawDiffusion.Cuda;
using RawDiffusion.Spectrum;
using Spectre.Console;

namespace RawDiffusion.Bench;

/// <summary>
/// `spectrum`: singular values of single matrices (ours against torch.linalg.svdvals, what Spectrum runs, in the same
/// run) and a whole scan of a synthetic Llama-3-8B-shaped BF16 checkpoint (written, scanned, deleted): time and peak
/// memory. Writes docs/bench/spectrum.md.
/// </summary>
internal static class SpectrumBenchmark
{
    private static readonly string[] DefaultShapes = ["1024x1024", "4096x4096", "4096x14336"];

    public static int Run(string[] options)
    {
        string[] shapes = DefaultShapes;
        int layers = 32, writeLayers = -1, rounds = 3;
        string device = "cpu";
        string? folder = null;
        bool matrices = true, checkpoint = true;
        for (int i = 0; i < options.Length; i++)
        {
            switch (options[i])
            {
                case "--shapes" when i + 1 < options.Length: shapes = options[++i].Split(','); break;
                case "--layers" when i + 1 < options.Length: layers = int.Parse(options[++i], CultureInfo.InvariantCulture); break;
                case "--rounds" when i + 1 < options.Length: rounds = int.Parse(options[++i], CultureInfo.InvariantCulture); break;
                case "--write-layers" when i + 1 < options.Length: writeLayers = int.Parse(options[++i], CultureInfo.InvariantCulture); break;
                case "--device" when i + 1 < options.Length: device = options[++i]; break;
                case "--folder" when i + 1 < options.Length: folder = options[++i]; break;
                case "--no-matrices": matrices = false; break;
                case "--no-checkpoint": checkpoint = false; break;
                default:
                    AnsiConsole.WriteLine("usage: spectrum [--shapes 1024x1024,4096x4096,4096x14336] [--rounds 3] [--layers 32] [--write-layers N] [--device cpu|cuda] [--folder DIR] [--no-matrices] [--no-checkpoint]");
                    return 2;
            }
        }
        writeLayers = writeLayers < 0 ? layers : writeLayers;

        CudaBackend? cuda = null;
        if (device == "cuda" && !CudaBackend.TryCreate(out cuda, out string reason))
        {
            AnsiConsole.MarkupLine($"[red]--device cuda: no usable CUDA device ({Markup.Escape(reason)})[/]");
            return 1;
        }
        ISingularValueSolver solver = cuda is null ? new CpuSingularValueSolver() : new CudaSingularValueSolver(cuda);
        string? loadBefore = MachineDescription.LoadAverage;
        var sections = new List<(string Heading, string Body)>();
        try
        {
            if (matrices) sections.Add(("One matrix", MatrixSection(shapes, rounds, solver, cuda is not null)));
            if (checkpoint) sections.Add(("Whole checkpoint", CheckpointSection(solver, layers, writeLayers, folder)));
        }
        finally
        {
            cuda?.Dispose();
        }

        // Each part replaces only its own section, so the two can be measured in separate runs.
        string load = loadBefore is null ? "" : $" Load average (1 min) {loadBefore} before and {MachineDescription.LoadAverage} after the run.";
        string measured = string.Join('\n',
            $"`dotnet run -c Release --project tools/Bench -- spectrum {string.Join(' ', options)}`".Replace("spectrum `", "spectrum`"),
            "",
            $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {MachineDescription.CpuModel}, {MachineDescription.Cores} cores, {MachineDescription.Runtime}, singular values on {solver.Device}.{load}");
        string path = Path.Combine(RepositoryPaths.Root, "docs", "bench", device == "cuda" ? "spectrum-gpu.md" : "spectrum.md");
        if (!File.Exists(path))
        {
            File.WriteAllText(path, "# Spectrum benchmarks\n");
        }
        foreach ((string heading, string body) in sections)
        {
            MarkdownReport.ReplaceSection(path, heading, measured + "\n\n" + body);
        }
        AnsiConsole.MarkupLine($"Written to {Markup.Escape(path)}");
        return 0;
    }

    /// <summary>
    /// Each round times every shape with ours and then, right after, with PyTorch in a fresh process, so each ratio
    /// compares two measurements taken seconds apart under the same load from other users of the machine. The table
    /// gives the median over the rounds and the range of the per-round ratios.
    /// </summary>
    private static string MatrixSection(string[] shapes, int rounds, ISingularValueSolver solver, bool onGpu)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1, "--rounds");
        var ours = shapes.ToDictionary(s => s, _ => new List<double>());
        var torchSeconds = shapes.ToDictionary(s => s, _ => new List<double>());
        string torchNote = "";
        for (int round = 1; round <= rounds; round++)
        {
            foreach (string shape in shapes)
            {
                (int rows, int columns) = Parse(shape);
                float[] data = SyntheticCheckpoint.Matrix(rows, columns, seed: 7);
                var matrix = new ArrayMatrix<float>(data, rows, columns);
                Timing timing = TimingFor(rows, columns);
                AnsiConsole.MarkupLine($"round {round}/{rounds}: ours {shape} ...");
                ours[shape].Add(timing.MedianSeconds(() => solver.Compute(matrix)));

                // PyTorch on the CPU with as many threads as we use; on a GPU run the CPU peer is still what Spectrum users run.
                AnsiConsole.MarkupLine($"round {round}/{rounds}: torch.linalg.svdvals {shape} ...");
                TorchReport? torch = TorchReference.TryRun("svdvals",
                    ["--threads", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture), "--shapes", shape, .. timing.ToPythonArguments()],
                    out string problem);
                if (torch is null)
                {
                    torchNote = $"PyTorch: not measured: {problem}";
                    continue;
                }
                torchSeconds[shape].Add(torch.Results.EnumerateArray().Single().GetProperty("seconds").GetDouble());
                torchNote = $"PyTorch {torch.TorchVersion} torch.linalg.svdvals on the CPU ({torch.Blas}), torch.set_num_threads({torch.Threads}), float32";
            }
        }
        var table = new ResultTable("matrix", "ours s", "torch.linalg.svdvals s", "ours / torch", "ours / torch per round (min–max)", "rounds");
        foreach (string shape in shapes)
        {
            List<double> reference = torchSeconds[shape];
            List<double> ratios = reference.Count == ours[shape].Count ? ours[shape].Zip(reference, (o, t) => o / t).ToList() : [];
            table.AddRow(shape, Median(ours[shape]).ToString("F3", CultureInfo.InvariantCulture),
                reference.Count > 0 ? Median(reference).ToString("F3", CultureInfo.InvariantCulture) : "-",
                ratios.Count > 0 ? Median(ratios).ToString("F2", CultureInfo.InvariantCulture) : "-",
                ratios.Count > 0 ? $"{ratios.Min().ToString("F2", CultureInfo.InvariantCulture)}–{ratios.Max().ToString("F2", CultureInfo.InvariantCulture)}" : "-",
                ours[shape].Count.ToString(CultureInfo.InvariantCulture));
        }
        AnsiConsole.Write(table.ToConsoleTable("Singular values of one float32 matrix"));
        return string.Join('\n',
            $"- Ours: {(onGpu ? "float64 Gram matrix by cuBLAS DGEMM, eigenvalues on the host" : "float64 Gram matrix of the smaller side (managed AVX-512 DGEMM, lower triangle), two-stage tridiagonalisation (blocked Householder to a band of 32: symmetric-times-panel kernel and rank-2k GEMM on the lower triangle; bulge chasing), root-free QL/QR")}; all singular values.",
            $"- {torchNote}.",
            "- Matrices: Gaussian bulk (std 0.02) plus a planted rank-8 signal (ours); Gaussian (PyTorch). Each round times ours and then PyTorch on each shape, back to back; " +
            "within a round, the median of 3 runs after a warm-up below 4096x4096 and 1 run from 4096x4096 up, for both. " +
            "The seconds and the ratio are medians over the rounds; the range is that of the per-round ratios.",
            "",
            table.ToMarkdown());
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static string CheckpointSection(ISingularValueSolver solver, int layers, int writeLayers, string? folder)
    {
        string root = folder ?? Path.Combine(Path.GetTempPath(), $"rawdiffusion-llama8b-{Guid.NewGuid():N}");
        var write = Stopwatch.StartNew();
        long bytes = SyntheticCheckpoint.Write(root, writeLayers, message => AnsiConsole.MarkupLine(Markup.Escape(message)));
        double writeSeconds = write.Elapsed.TotalSeconds;
        try
        {
            int scanned = Math.Min(layers, writeLayers);
            ScanResult result = ScanInChildProcess(root, scanned, solver.Device.StartsWith("cuda", StringComparison.Ordinal) ? "cuda" : "cpu");
            double largest = result.LargestTensorBytes / 1048576.0;
            double growth = (result.PeakRss - result.RssBefore) / 1048576.0;
            // The largest tensor as stored (BF16) is the stricter yardstick; as float32 it would be twice that.
            var table = new ResultTable("layers scanned", "matrices", "time s", "tensors/s", "peak RSS MiB", "peak RSS growth MiB",
                "largest tensor as stored MiB", "3x largest MiB", "growth / largest", "matrices with the 8 planted spikes");
            table.AddRow(scanned.ToString(CultureInfo.InvariantCulture), result.Matrices.ToString(CultureInfo.InvariantCulture),
                result.Seconds.ToString("F1", CultureInfo.InvariantCulture), (result.Matrices / result.Seconds).ToString("F3", CultureInfo.InvariantCulture),
                (result.PeakRss / 1048576.0).ToString("F0", CultureInfo.InvariantCulture),
                growth.ToString("F0", CultureInfo.InvariantCulture), largest.ToString("F0", CultureInfo.InvariantCulture),
                (3 * largest).ToString("F0", CultureInfo.InvariantCulture),
                (growth / largest).ToString("F2", CultureInfo.InvariantCulture), $"{result.WithPlantedSpikes}/{result.Matrices}");
            AnsiConsole.Write(table.ToConsoleTable("Synthetic Llama-3-8B-shaped BF16 checkpoint"));
            var perModule = new ResultTable("matrix", "shape", "mean s per matrix");
            foreach ((string group, string shape, double seconds) in result.PerGroup)
            {
                perModule.AddRow(group, shape, seconds.ToString("F2", CultureInfo.InvariantCulture));
            }
            return string.Join('\n',
                $"A synthetic sharded BF16 checkpoint shaped like Llama-3 8B (q/k/v/o and gate/up/down projections, one shard per tensor, " +
                $"{writeLayers} of 32 layers written: {bytes / 1073741824.0:F1} GiB in {writeSeconds:F0} s), scanned tensor by tensor from memory-mapped shards " +
                "by the `spectrum` engine (`SpectrumScan`) in a fresh process, then deleted. Peak RSS growth is that process's high-water mark " +
                "during the scan minus its RSS just before it (runtime and JIT excluded); it includes the mapped file pages of the tensor being read. " +
                "It is compared with the largest tensor as stored (BF16), the stricter reading of the issue's \"3x the largest tensor's memory\": " +
                "the same tensor as float32 is twice as large.",
                "",
                table.ToMarkdown(),
                "",
                perModule.ToMarkdown());
        }
        finally
        {
            if (folder is null) Directory.Delete(root, recursive: true);
        }
    }

    private sealed record ScanResult(int Matrices, double Seconds, long RssBefore, long PeakRss, long LargestTensorBytes, int WithPlantedSpikes,
        IReadOnlyList<(string Group, string Shape, double Seconds)> PerGroup);

    /// <summary>`Bench spectrum-scan FOLDER LAYERS DEVICE`: the scan alone in this process, printing one JSON line, so its
    /// peak memory is not hidden by heap pages an earlier allocation left resident.</summary>
    public static int ScanChild(string[] arguments)
    {
        string root = arguments[0];
        int layers = int.Parse(arguments[1], CultureInfo.InvariantCulture);
        CudaBackend? cuda = null;
        if (arguments[2] == "cuda" && !CudaBackend.TryCreate(out cuda, out string reason))
        {
            Console.Error.WriteLine($"no usable CUDA device ({reason})");
            return 1;
        }
        ISingularValueSolver solver = cuda is null ? new CpuSingularValueSolver() : new CudaSingularValueSolver(cuda);
        var checkpoint = CheckpointMatrices.Open(root);
        GC.Collect();
        long before = PeakMemory.ResetAndReadRss();
        SpectrumReport report = SpectrumScan.Run(checkpoint, solver, layers: layers,
            progress: new Progress<ScanProgress>(p => Console.Error.WriteLine($"{p.Done}/{p.Total} {p.Elapsed.TotalSeconds:F0} s")));
        long peak = PeakMemory.PeakRss();
        cuda?.Dispose();
        var groups = report.Matrices.GroupBy(m => m.Tensor.Module.Group)
            .Select(g => new { group = g.Key, shape = $"{g.First().Spectrum.Rows}x{g.First().Spectrum.Columns}", seconds = g.Average(m => m.Seconds) });
        Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
        {
            matrices = report.Matrices.Count, seconds = report.Seconds, before, peak, largest = checkpoint.LargestTensorBytes,
            spikes = report.Matrices.Count(m => m.Spectrum.Spikes == 8), groups,
        }));
        return 0;
    }

    private static ScanResult ScanInChildProcess(string root, int layers, string device)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            start.ArgumentList.Add(typeof(SpectrumBenchmark).Assembly.Location);
        }
        foreach (string argument in new[] { "spectrum-scan", root, layers.ToString(CultureInfo.InvariantCulture), device }) start.ArgumentList.Add(argument);
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"the scan process failed with exit code {process.ExitCode}");
        using var json = System.Text.Json.JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        var r = json.RootElement;
        return new ScanResult(r.GetProperty("matrices").GetInt32(), r.GetProperty("seconds").GetDouble(), r.GetProperty("before").GetInt64(),
            r.GetProperty("peak").GetInt64(), r.GetProperty("largest").GetInt64(), r.GetProperty("spikes").GetInt32(),
            r.GetProperty("groups").EnumerateArray().Select(g => (g.GetProperty("group").GetString()!, g.GetProperty("shape").GetString()!, g.GetProperty("seconds").GetDouble())).ToList());
    }

    private static Timing TimingFor(int rows, int columns) =>
        (long)rows * columns >= 4096L * 4096 ? new Timing(Warmup: 0, MinRepeats: 1, MinSeconds: 0, MaxRepeats: 1) : new Timing(Warmup: 1, MinRepeats: 3, MinSeconds: 0);

    private static (int Rows, int Columns) Parse(string shape)
    {
        string[] parts = shape.Split('x');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}

/// <summary>The process's resident memory from /proc/self/status, and its high-water mark (reset by writing 5 to /proc/self/clear_refs).</summary>
internal static class PeakMemory
{
    public static long ResetAndReadRss()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return Read("VmRSS:");
    }

    public static long PeakRss() => Read("VmHWM:");

    private static long Read(string key)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }
        return 0;
    }
}

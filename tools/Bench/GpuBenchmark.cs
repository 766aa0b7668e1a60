using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using RawDiffusion.Backends;
using RawDiffusion.Cuda;
using RawDiffusion.Cuda.Kernels;
using RawDiffusion.Models;
using RawDiffusion.Training.Optimizers;
using Spectre.Console;

namespace RawDiffusion.Bench;

/// <summary>
/// `gpu`: the CUDA backend on the first GPU. Square fp32 and TF32 matmul TFLOP/s against PyTorch on the same GPU;
/// the memory-bound kernels (elementwise maps, softmax, layer and group norm, a reduction) as GB/s against a
/// device-to-device copy; launch overhead (host cost per kernel launch, tiny kernels back to back, the same chain and
/// an MLP forward replayed as a CUDA graph); milliseconds per training step of the MLP and CNN classifiers against
/// PyTorch, with our kernel launches per step. Kernel times come from CUDA events; training steps are wall-clock, host
/// overhead included, as a user sees them.
/// Writes docs/bench/gpu.md (one section per part, each replaced by its own run).
/// </summary>
internal static class GpuBenchmark
{
    private const string ReportTitle = "# GPU benchmarks";
    private const string Usage =
        "usage: gpu [--only matmul,memory,launch,train] [--sizes 1024,2048,4096,8192] [--elements 67108864] [--batch-size 128] [--steps 50] [--warmup-steps 10] [--no-torch] [--no-report]";

    private static readonly string[] Parts = ["matmul", "memory", "launch", "train"];

    /// <summary>The timing policy of the kernel measurements, handed to PyTorch too.</summary>
    private static readonly Timing KernelTiming = new(Warmup: 3, MinRepeats: 10, MinSeconds: 0.5, MaxRepeats: 200);

    /// <summary>The memory-bound shapes split the elements into rows of 1024 and into [64, 256, *] feature maps.</summary>
    private const int ElementGranularity = 64 * 256;

    private sealed record Options(string[] Parts, int[] Sizes, int Elements, int BatchSize, int Steps, int WarmupSteps, bool Torch, bool WriteReport);

    public static string ReportPath => Path.Combine(RepositoryPaths.Root, "docs", "bench", "gpu.md");

    public static int Run(string[] arguments)
    {
        if (!TryParse(arguments, out Options options, out string error))
        {
            AnsiConsole.WriteLine(error);
            AnsiConsole.WriteLine(Usage);
            return 2;
        }

        if (!CudaBackend.TryCreate(out CudaBackend? cuda, out string reason))
        {
            AnsiConsole.MarkupLine($"[red]gpu: no usable CUDA device, nothing measured.[/] {Markup.Escape(reason)}");
            return 1;
        }

        using (cuda)
        {
            AnsiConsole.MarkupLine($"Device: {Markup.Escape(cuda.Context.ToString())}");
            var compile = Stopwatch.StartNew();
            cuda.LoadKernels();
            AnsiConsole.MarkupLine($"Kernels compiled or loaded from the cache in {compile.Elapsed.TotalSeconds:F1} s (NVRTC {KernelCompiler.NvrtcVersion.Major}.{KernelCompiler.NvrtcVersion.Minor})");
            string header = Describe(cuda);
            if (options.Parts.Contains("matmul")) Report(options, "GPU matmul", header + "\n\n" + Matmul(cuda, options));
            if (options.Parts.Contains("memory")) Report(options, "GPU memory-bound kernels", header + "\n\n" + MemoryBound(cuda, options.Elements));
            if (options.Parts.Contains("launch")) Report(options, "GPU launch overhead", header + "\n\n" + LaunchOverhead(cuda));
            if (options.Parts.Contains("train")) Report(options, "GPU training steps", header + "\n\n" + TrainingSteps(cuda, options));
        }

        return 0;
    }

    private static void Report(Options options, string heading, string body)
    {
        if (!options.WriteReport) return;
        if (!File.Exists(ReportPath))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(ReportPath)!);
            File.WriteAllText(ReportPath, ReportTitle + "\n");
        }

        MarkdownReport.ReplaceSection(ReportPath, heading, body);
        AnsiConsole.MarkupLine($"{Markup.Escape(heading)} written to {Markup.Escape(ReportPath)}");
    }

    private static string Describe(CudaBackend cuda) =>
        $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {cuda.Context} with NVRTC {KernelCompiler.NvrtcVersion.Major}.{KernelCompiler.NvrtcVersion.Minor}; " +
        $"host {MachineDescription.CpuModel}, {MachineDescription.Cores} cores, {MachineDescription.Runtime}.";

    // ---- matmul ----

    private static string Matmul(CudaBackend cuda, Options options)
    {
        int[] sizes = options.Sizes;
        AnsiConsole.MarkupLine("Measuring matmul ...");
        var ours = new List<(int N, double Fp32, double Tf32)>();
        foreach (int n in sizes)
        {
            using var a = Random(cuda, (long)n * n, 1);
            using var b = Random(cuda, (long)n * n, 2);
            using var c = cuda.Allocate(DType.Float32, (long)n * n);
            void Multiply() => cuda.Gemm(false, false, n, n, n, 1, a, 0, n, 0, b, 0, n, 0, 0, c, 0, n, 0, 1);
            double Tflops() => 2.0 * n * n * n / (MedianMilliseconds(cuda, Multiply) / 1e3) / 1e12;
            double fp32 = Tflops();
            cuda.AllowTf32 = true;
            double tf32;
            try
            {
                tf32 = Tflops();
            }
            finally
            {
                cuda.AllowTf32 = false;
            }

            ours.Add((n, fp32, tf32));
        }

        TorchReport? torch = Torch(options, "gpu-matmul", ["--sizes", string.Join(',', sizes), .. KernelTiming.ToPythonArguments()], out string torchProblem);
        Dictionary<int, JsonElement> reference = torch is null ? [] : torch.Results.EnumerateArray().ToDictionary(r => r.GetProperty("n").GetInt32());
        double? TorchValue(int n, string key) => reference.TryGetValue(n, out JsonElement r) ? r.GetProperty(key).GetDouble() : null;

        var table = new ResultTable("n", "fp32 TFLOP/s", "PyTorch fp32", "fp32 / PyTorch", "TF32 TFLOP/s", "PyTorch TF32", "TF32 / PyTorch");
        foreach (var (n, fp32, tf32) in ours)
        {
            double? torchFp32 = TorchValue(n, "fp32_tflops"), torchTf32 = TorchValue(n, "tf32_tflops");
            table.AddRow(n.ToString(CultureInfo.InvariantCulture), Format(fp32), Format(torchFp32), Ratio(fp32, torchFp32),
                Format(tf32), Format(torchTf32), Ratio(tf32, torchTf32));
        }

        AnsiConsole.Write(table.ToConsoleTable("Square matmul on the GPU"));
        return string.Join('\n',
            TorchLine(torch, torchProblem),
            "- C = A B with n x n float32 matrices through CudaBackend.Gemm: cublasSgemm, or cublasGemmEx with TF32 compute when CudaBackend.AllowTf32 is set; " +
            $"TFLOP/s = 2 n^3 / median CUDA-event time over at least {KernelTiming.MinRepeats} timings and {KernelTiming.MinSeconds:0.#} s, each of enough calls to last about a millisecond.",
            $"- Command: `Bench gpu --only matmul --sizes {string.Join(',', sizes)}`",
            "",
            table.ToMarkdown());
    }

    // ---- memory-bound kernels ----

    private sealed record MemoryCase(string Name, string Shape, long Bytes, Action Run);

    private static string MemoryBound(CudaBackend cuda, int n)
    {
        AnsiConsole.MarkupLine("Measuring memory-bound kernels ...");
        const int row = 1024;
        using var x = Random(cuda, n, 3);
        using var g = Random(cuda, n, 4);
        using var y = cuda.Allocate(DType.Float32, n);
        using var dx = cuda.Allocate(DType.Float32, n);
        using var rowWeight = Random(cuda, row, 5);
        using var rowBias = Random(cuda, row, 6);
        using var channelWeight = Random(cuda, 256, 7);
        using var channelBias = Random(cuda, 256, 8);
        // Mean and variance, then the four backward sums, of the larger of the two norm layouts.
        long statistics = 2L * Math.Max(n / row, 64 * 32) + 2L * row;
        using var stats = cuda.Allocate(DType.Float32, statistics);
        using var sums = cuda.Allocate(DType.Float32, statistics);
        StridedView Flat(DeviceBuffer buffer) => StridedView.Contiguous(buffer, 0, [n]);
        StridedView Vector(DeviceBuffer buffer, long offset, int length) => StridedView.Contiguous(buffer, offset, [length]);
        long bytes = 4L * n;
        int rows = n / row;

        var layerNorm = new NormLayout(rows, row, 1, row, false);
        var groupNorm = new NormLayout(64, 256, n / (64 * 256), 8, false);
        void NormForward(NormLayout layout, StridedView? w, StridedView? b)
        {
            cuda.NormStatistics(Flat(x), layout, Vector(stats, 0, layout.StatCount), Vector(stats, layout.StatCount, layout.StatCount));
            cuda.NormForward(Flat(x), Vector(stats, 0, layout.StatCount), Vector(stats, layout.StatCount, layout.StatCount), 1e-5, w, b, layout, Flat(y));
        }

        void NormBackward(NormLayout layout, StridedView? w)
        {
            int k = layout.StatCount;
            cuda.NormBackwardSums(Flat(x), Flat(g), Vector(stats, 0, k), Vector(stats, k, k), 1e-5, w, layout,
                Vector(sums, 0, k), Vector(sums, k, k), Vector(sums, 2L * k, layout.Channels), Vector(sums, 2L * k + layout.Channels, layout.Channels));
            cuda.NormBackward(Flat(x), Flat(g), Vector(stats, 0, k), Vector(stats, k, k), 1e-5, w, Vector(sums, 0, k), Vector(sums, k, k), layout, Flat(dx));
        }

        // Each case's bytes are the least traffic its result needs: every input read once, every output written once.
        MemoryCase[] cases =
        [
            new("device-to-device copy", $"[{n}]", 2 * bytes, () => cuda.Unary(UnaryOp.Copy, Flat(x), Flat(y))),
            new("ReLU", $"[{n}]", 2 * bytes, () => cuda.Unary(UnaryOp.Relu, Flat(x), Flat(y))),
            new("GELU", $"[{n}]", 2 * bytes, () => cuda.Unary(UnaryOp.Gelu, Flat(x), Flat(y))),
            new("add", $"[{n}] + [{n}]", 3 * bytes, () => cuda.Binary(BinaryOp.Add, Flat(x), Flat(g), Flat(y))),
            new("add a row vector", $"[{rows}, {row}] + [{row}]", 2 * bytes, () => cuda.Binary(BinaryOp.Add,
                StridedView.Contiguous(x, 0, [rows, row]), new StridedView(rowBias, 0, [rows, row], [0, 1]), StridedView.Contiguous(y, 0, [rows, row]))),
            new("sum of rows", $"[{rows}, {row}] -> [{rows}]", bytes, () => cuda.Reduce(ReduceOp.Sum, x, 0, y, 0, rows, row, 1)),
            new("softmax", $"[{rows}, {row}]", 2 * bytes, () => cuda.SoftmaxRows(x, 0, y, 0, rows, row, log: false)),
            new("softmax", $"[{n / 64}, 64]", 2 * bytes, () => cuda.SoftmaxRows(x, 0, y, 0, n / 64, 64, log: false)),
            new("softmax backward", $"[{rows}, {row}]", 3 * bytes, () => cuda.SoftmaxBackwardRows(x, 0, g, 0, dx, 0, rows, row, log: false)),
            new("layer norm forward", $"[{rows}, {row}]", 2 * bytes, () => NormForward(layerNorm, Vector(rowWeight, 0, row), Vector(rowBias, 0, row))),
            new("layer norm backward", $"[{rows}, {row}]", 3 * bytes, () => NormBackward(layerNorm, Vector(rowWeight, 0, row))),
            new("group norm forward", $"[64, 256, {n / (64 * 256)}], 32 groups", 2 * bytes, () => NormForward(groupNorm, Vector(channelWeight, 0, 256), Vector(channelBias, 0, 256))),
            new("group norm backward", $"[64, 256, {n / (64 * 256)}], 32 groups", 3 * bytes, () => NormBackward(groupNorm, Vector(channelWeight, 0, 256))),
        ];

        var measured = cases.Select(c => (Case: c, Milliseconds: MedianMilliseconds(cuda, c.Run))).ToList();
        double copy = GigabytesPerSecond(measured[0].Case.Bytes, measured[0].Milliseconds);
        var table = new ResultTable("kernel", "shape (float32)", "time (µs)", "GB/s", "of copy GB/s");
        foreach (var (c, ms) in measured)
        {
            double rate = GigabytesPerSecond(c.Bytes, ms);
            table.AddRow(c.Name, c.Shape, (ms * 1e3).ToString("0.0", CultureInfo.InvariantCulture), rate.ToString("0", CultureInfo.InvariantCulture),
                (rate / copy).ToString("0%", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table.ToConsoleTable("Memory-bound kernels"));
        return string.Join('\n',
            "- GB/s = the least traffic each result needs (inputs read once, outputs written once) / median CUDA-event time; " +
            "the norms count statistics and normalising (forward) or sums and input gradient (backward) together, as a layer runs them.",
            "- The device-to-device copy (cuMemcpyDtoDAsync) is the bandwidth reference.",
            $"- Command: `Bench gpu --only memory --elements {n}`",
            "",
            table.ToMarkdown());
    }

    // ---- launch overhead ----

    /// <summary>What a kernel launch costs the host and the GPU, and what a CUDA graph replay saves: a chain of tiny
    /// kernels (a negation of 256 floats, so the kernels themselves take almost nothing), run eagerly and as one graph,
    /// and a small MLP's forward pass (no gradients) run eagerly and replayed, checked against the eager result.</summary>
    private static string LaunchOverhead(CudaBackend cuda)
    {
        AnsiConsole.MarkupLine("Measuring launch overhead ...");
        const int chain = 1000;
        using var x = Random(cuda, 256, 9);
        using var y = cuda.Allocate(DType.Float32, 256);
        void Chain()
        {
            for (int i = 0; i < chain; i++) cuda.Unary(UnaryOp.Neg, StridedView.Contiguous(x, 0, [256]), StridedView.Contiguous(y, 0, [256]));
        }

        double WallMicroseconds(Action run, int repeats)
        {
            run();
            cuda.Synchronize();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < repeats; i++) run();
            cuda.Synchronize();
            return clock.Elapsed.TotalMicroseconds / repeats;
        }

        Chain();
        cuda.Synchronize();
        var enqueue = Stopwatch.StartNew();
        Chain();
        double enqueueMicroseconds = enqueue.Elapsed.TotalMicroseconds / chain;
        cuda.Synchronize();
        double eagerWall = WallMicroseconds(Chain, 5) / chain;
        double eagerGpu = MedianMilliseconds(cuda, Chain) * 1e3 / chain;
        using var graph = cuda.CaptureGraph(Chain);
        double graphWall = WallMicroseconds(graph.Launch, 5) / chain;
        double graphGpu = MedianMilliseconds(cuda, graph.Launch) * 1e3 / chain;

        // An MLP forward pass of batch 128 with static input and output tensors.
        var previous = Backend.Default;
        double forwardEager, forwardGraph, difference;
        long forwardLaunches;
        int forwardNodes;
        try
        {
            Backend.Default = cuda;
            using var model = ImageClassifiers.Mlp(784, [256, 128], 10, new Generator(1));
            using var input = Tensor.Rand([128, 1, 28, 28], new Generator(8), backend: cuda);
            Tensor Forward()
            {
                using var noGrad = GradMode.NoGrad();
                using var scope = DisposeScope.Enter();
                return scope.MoveToOuter(model.Forward(input));
            }

            Forward().Dispose();
            long before = cuda.KernelLaunches;
            Forward().Dispose();
            forwardLaunches = cuda.KernelLaunches - before;
            forwardEager = WallMicroseconds(() => Forward().Dispose(), 200);
            Tensor? captured = null;
            using var forwardGraphs = cuda.CaptureGraph(() => captured = Forward());
            using var output = captured!;
            forwardNodes = forwardGraphs.Nodes;
            forwardGraph = WallMicroseconds(forwardGraphs.Launch, 200);
            // New input values, then replay against an eager pass on them.
            cuda.FillRandom(RandomDistribution.Uniform, input.Storage.Buffer, input.Offset, input.Numel, 99, 0, 0, 1);
            forwardGraphs.Launch();
            using var eager = Forward();
            difference = output.ToArray<float>().Zip(eager.ToArray<float>(), (a, b) => Math.Abs(a - b)).Max();
        }
        finally
        {
            Backend.Default = previous;
        }

        string Us(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);
        var table = new ResultTable("measurement", "µs");
        table.AddRow("host time to enqueue one kernel launch", Us(enqueueMicroseconds));
        table.AddRow($"tiny kernel, eager chain of {chain}: GPU time per kernel (CUDA events)", Us(eagerGpu));
        table.AddRow($"tiny kernel, eager chain of {chain}: wall-clock per kernel", Us(eagerWall));
        table.AddRow($"tiny kernel, the chain as one CUDA graph: GPU time per kernel", Us(graphGpu));
        table.AddRow($"tiny kernel, the chain as one CUDA graph: wall-clock per kernel", Us(graphWall));
        table.AddRow($"MLP 784-256-128-10 forward, batch 128, eager ({forwardLaunches} kernel launches + cuBLAS)", Us(forwardEager));
        table.AddRow($"the same forward replayed as a CUDA graph ({forwardNodes} nodes; max |replay - eager| = {difference:G3})", Us(forwardGraph));
        AnsiConsole.Write(table.ToConsoleTable("Launch overhead"));
        return string.Join('\n',
            "- Tiny kernel: CudaBackend.Unary(Neg) over 256 float32 values, so its time is launch and scheduling, not work.",
            "- Host enqueue: wall-clock of queuing the chain before synchronising, per launch; wall-clock rows include the final synchronise.",
            "- CUDA graph: CudaBackend.CaptureGraph (stream capture, relaxed mode), replayed with one cuGraphLaunch.",
            "- Command: `Bench gpu --only launch`",
            "",
            table.ToMarkdown());
    }

    // ---- training steps ----

    private static string TrainingSteps(CudaBackend cuda, Options options)
    {
        AnsiConsole.MarkupLine("Measuring training steps ...");
        var previous = Backend.Default;
        var ours = new List<(string Model, long Parameters, double Milliseconds, long Launches)>();
        try
        {
            // The classifiers create their parameters on the default backend.
            Backend.Default = cuda;
            foreach (string name in new[] { "mlp", "cnn" })
            {
                using var model = name == "mlp" ? ImageClassifiers.Mlp(784, [256, 128], 10, new Generator(1)) : ImageClassifiers.Cnn(28, [16, 32], 10, new Generator(1));
                double milliseconds = MillisecondsPerStep(cuda, model, options, out long launches);
                ours.Add((name, model.ParameterCount, milliseconds, launches));
            }
        }
        finally
        {
            Backend.Default = previous;
        }

        TorchReport? torch = Torch(options, "gpu-train",
            ["--batch-size", options.BatchSize.ToString(CultureInfo.InvariantCulture), "--steps", options.Steps.ToString(CultureInfo.InvariantCulture),
             "--warmup-steps", options.WarmupSteps.ToString(CultureInfo.InvariantCulture)], out string torchProblem);
        Dictionary<string, double> reference = torch is null ? [] : torch.Results.EnumerateArray()
            .ToDictionary(r => r.GetProperty("model").GetString()!, r => r.GetProperty("ms_per_step").GetDouble());

        var table = new ResultTable("network", "parameters", "batch", "ms / step", "PyTorch ms / step", "PyTorch / ours", "our kernel launches / step");
        foreach (var (model, parameters, ms, launches) in ours)
        {
            double? theirs = reference.TryGetValue(model, out double value) ? value : null;
            table.AddRow(model, parameters.ToString("N0", CultureInfo.InvariantCulture), options.BatchSize.ToString(CultureInfo.InvariantCulture),
                ms.ToString("0.000", CultureInfo.InvariantCulture), theirs?.ToString("0.000", CultureInfo.InvariantCulture) ?? "n/a",
                theirs is { } t ? (t / ms).ToString("0.00", CultureInfo.InvariantCulture) : "n/a", launches.ToString(CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table.ToConsoleTable("Training steps"));
        return string.Join('\n',
            TorchLine(torch, torchProblem),
            "- One step: forward, cross-entropy, backward, AdamW (lr 1e-3), and reading the loss on the host, on a fixed random float32 batch " +
            $"of 28x28 images; wall-clock mean over {options.Steps} steps after {options.WarmupSteps} warm-up steps, host overhead included. TF32 off on both sides.",
            "- Networks: ImageClassifiers.Mlp(784, [256, 128], 10) and ImageClassifiers.Cnn(28, [16, 32], 10) and their nn.Sequential twins.",
            $"- Command: `Bench gpu --only train --batch-size {options.BatchSize} --steps {options.Steps} --warmup-steps {options.WarmupSteps}`",
            "",
            table.ToMarkdown());
    }

    private static double MillisecondsPerStep(CudaBackend cuda, RawDiffusion.Nn.Layer model, Options options, out long launches)
    {
        var labels = new int[options.BatchSize];
        var random = new Random(7);
        for (int i = 0; i < labels.Length; i++) labels[i] = random.Next(10);
        using var x = Tensor.Rand([options.BatchSize, 1, 28, 28], new Generator(8), backend: cuda);
        using var y = Tensor.FromSpan<int>(labels, [options.BatchSize], DType.Int32, cuda);
        using var optimizer = new AdamW(model.Parameters(), 1e-3);
        void Step()
        {
            using var scope = DisposeScope.Enter();
            var loss = F.CrossEntropy(model.Forward(x), y);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            loss.Item();
        }

        for (int i = 0; i < options.WarmupSteps; i++) Step();
        long before = cuda.KernelLaunches;
        Step();
        launches = cuda.KernelLaunches - before;
        cuda.Synchronize();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < options.Steps; i++) Step();
        cuda.Synchronize();
        return clock.Elapsed.TotalMilliseconds / options.Steps;
    }

    // ---- helpers ----

    private static TorchReport? Torch(Options options, string subcommand, IEnumerable<string> arguments, out string problem)
    {
        if (!options.Torch)
        {
            problem = "skipped (--no-torch)";
            return null;
        }

        AnsiConsole.MarkupLine("Measuring PyTorch ...");
        return TorchReference.TryRun(subcommand, ["--threads", "1", .. arguments], out problem);
    }

    /// <summary>The median of CUDA-event timings, each around enough back-to-back calls to last about a millisecond
    /// (so launch gaps of tiny kernels and the events' own resolution do not dominate).</summary>
    private static double MedianMilliseconds(CudaBackend cuda, Action operation)
    {
        using var timer = new CudaTimer(cuda.Context);
        for (int i = 0; i < KernelTiming.Warmup; i++) operation();
        timer.Start();
        operation();
        int calls = (int)Math.Clamp(1.0 / Math.Max(timer.StopMilliseconds(), 1e-3), 1, 10_000);
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < KernelTiming.MaxRepeats && (times.Count < KernelTiming.MinRepeats || total.Elapsed.TotalSeconds < KernelTiming.MinSeconds))
        {
            timer.Start();
            for (int i = 0; i < calls; i++) operation();
            times.Add(timer.StopMilliseconds() / calls);
        }

        times.Sort();
        int middle = times.Count / 2;
        return times.Count % 2 == 1 ? times[middle] : (times[middle - 1] + times[middle]) / 2;
    }

    private static DeviceBuffer Random(CudaBackend cuda, long length, ulong seed)
    {
        var buffer = cuda.Allocate(DType.Float32, length);
        cuda.FillRandom(RandomDistribution.Uniform, buffer, 0, length, seed, 0, -1, 1);
        return buffer;
    }

    private static double GigabytesPerSecond(long bytes, double milliseconds) => bytes / (milliseconds / 1e3) / 1e9;

    private static string TorchLine(TorchReport? torch, string problem) => torch is null
        ? $"- PyTorch: not measured: {problem}"
        : $"- PyTorch {torch.TorchVersion} on {torch.Blas} ({torch.Python})";

    private static string Format(double? value) =>
        value is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) : "n/a";

    private static string Ratio(double ours, double? reference) =>
        reference is { } baseline ? (ours / baseline).ToString("0.00", CultureInfo.InvariantCulture) : "n/a";

    private static bool TryParse(string[] arguments, out Options options, out string error)
    {
        options = new Options(Parts, [1024, 2048, 4096, 8192], 1 << 26, 128, 50, 10, Torch: true, WriteReport: true);
        error = "";
        for (int i = 0; i < arguments.Length; i++)
        {
            string name = arguments[i];
            if (name is "--no-report" or "--no-torch")
            {
                options = name == "--no-report" ? options with { WriteReport = false } : options with { Torch = false };
                continue;
            }

            if (i + 1 >= arguments.Length)
            {
                error = $"'{name}' is not an option or lacks its value.";
                return false;
            }

            string value = arguments[++i];
            switch (name)
            {
                case "--only":
                    string[] parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries);
                    if (parts.Length == 0 || parts.Any(p => !Parts.Contains(p)))
                    {
                        error = $"--only takes a comma-separated list of {string.Join(", ", Parts)}, not '{value}'.";
                        return false;
                    }

                    options = options with { Parts = parts };
                    break;
                case "--sizes":
                    if (!TryPositiveList(value, out int[] sizes))
                    {
                        error = $"--sizes takes positive matrix sizes, not '{value}'.";
                        return false;
                    }

                    options = options with { Sizes = sizes };
                    break;
                case "--elements":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int elements) || elements <= 0 || elements % ElementGranularity != 0)
                    {
                        error = $"--elements takes a positive multiple of {ElementGranularity}, not '{value}'.";
                        return false;
                    }

                    options = options with { Elements = elements };
                    break;
                case "--batch-size" or "--steps" or "--warmup-steps":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || (count <= 0 && name != "--warmup-steps"))
                    {
                        error = $"{name} takes a positive count, not '{value}'.";
                        return false;
                    }

                    options = name switch
                    {
                        "--batch-size" => options with { BatchSize = count },
                        "--steps" => options with { Steps = count },
                        _ => options with { WarmupSteps = count },
                    };
                    break;
                default:
                    error = $"Unexpected option '{name}'.";
                    return false;
            }
        }

        return true;
    }

    private static bool TryPositiveList(string text, out int[] values)
    {
        string[] items = text.Split(',', StringSplitOptions.RemoveEmptyEntries);
        values = new int[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            if (!int.TryParse(items[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]) || values[i] <= 0) return false;
        }

        return items.Length > 0;
    }
}

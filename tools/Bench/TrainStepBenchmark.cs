using System.Globalization;
using System.Text.Json;
using RawDiffusion.Backends;
using RawDiffusion.Backends.Cpu;
using RawDiffusion.Cuda;
using RawDiffusion.Models;
using RawDiffusion.Nn;
using RawDiffusion.Training.Optimizers;
using Spectre.Console;

namespace RawDiffusion.Bench;

/// <summary>
/// One training step (forward, backward, AdamW step) of each network of a preset (d2nwg-small by default) on the
/// selected device (Bench --device), against the same architectures written layer for layer in PyTorch
/// (tools/bench/torch_reference.py train-step) on the same device: on a GPU both PyTorch eager and torch.compile, with
/// F.scaled_dot_product_attention. Equal parameter counts on both sides are the check that the architectures match;
/// a difference fails the run. CPU results go to docs/bench/cpu.md, GPU results to docs/bench/gpu.md.
/// </summary>
internal static class TrainStepBenchmark
{
    private const string DefaultPreset = "d2nwg-small";
    private const int DefaultBatch = 32;
    private const double LearningRate = 1e-4;

    // A step takes from tens of milliseconds to seconds: a few warm-up steps (optimizer state, buffer pools, JIT tiers),
    // then the median of at least seven.
    private static readonly Timing StepTiming = new(Warmup: 3, MinRepeats: 7, MinSeconds: 2.0, MaxRepeats: 50);

    /// <summary>A benchmarked network: its name in tables and on the command line, and how to build its training step.</summary>
    private sealed record Network(string Key, string Title, Func<ModelConfig, int, string> Input, Func<ModelConfig, Generator, int, TrainingStep> Build);

    private static readonly Network[] Networks =
    [
        new("vae", "weight VAE", (c, b) => $"{b} x {c.Vae.VectorLength}", BuildVae),
        new("unet", "UNet", (c, b) => $"{b} x {c.UNet.LatentChannels + c.UNet.ConditionMapChannels}x{c.UNet.ImageSize}x{c.UNet.ImageSize}", BuildUNet),
        new("encoder", "dataset encoder", (c, b) => $"{b} x {c.DatasetEncoder.MaxClasses}x5x{c.DatasetEncoder.FeatureLength}", BuildEncoder),
    ];

    private sealed record Options(Network[] Networks, string Preset, int Batch);

    public static int Run(string[] arguments)
    {
        if (!TryParse(arguments, out Options options, out string error))
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(error)}[/]");
            AnsiConsole.WriteLine($"usage: train-step [--networks {string.Join(',', Networks.Select(n => n.Key))}] [--preset {DefaultPreset}|d2nwg-base|tiny] [--batch {DefaultBatch}]  (Bench --device cuda: on the GPU)");
            return 2;
        }

        return Backend.Default is CudaBackend cuda ? RunOnGpu(cuda, options) : RunOnCpu(options);
    }

    private static int RunOnCpu(Options options)
    {
        Network[] selected = options.Networks;
        string preset = options.Preset;
        int batch = options.Batch;
        string sectionHeading = $"Training steps ({preset})";
        ModelConfig config = ModelConfig.Preset(preset);
        int threads = Environment.ProcessorCount;
        string? loadBefore = MachineDescription.LoadAverage;
        var ours = new List<(long Parameters, double Seconds, string Load)>();
        var reference = new Dictionary<string, (long Parameters, double Seconds, double Load)>();
        TorchReport? torch = null;
        bool torchUsesOneDnn = false;
        string torchProblem = "";
        // Each network is measured in PyTorch and then at once on our side, so that both see about the same load on a
        // shared machine; PyTorch goes first because its process has exited completely when ours starts, while our
        // process, idle but alive, would still run background JIT compilation during a PyTorch measurement after it.
        foreach (Network network in selected)
        {
            AnsiConsole.MarkupLine($"Measuring the PyTorch {Markup.Escape(network.Title)} ...");
            TorchReport? torchRun = TorchReference.TryRun("train-step", TorchArguments(network, config, threads, batch, "cpu", "eager"), out string problem);
            if (torchRun is null)
            {
                torchProblem = problem;
                AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(problem)}[/]");
            }
            else
            {
                torch ??= torchRun;
                foreach (JsonElement result in torchRun.Results.EnumerateArray())
                {
                    torchUsesOneDnn |= result.GetProperty("onednn").GetBoolean();
                    reference[result.GetProperty("network").GetString() ?? ""] =
                        (result.GetProperty("parameters").GetInt64(), result.GetProperty("seconds").GetDouble(), result.GetProperty("load").GetDouble());
                }
            }

            AnsiConsole.MarkupLine($"Measuring our {Markup.Escape(network.Title)} ...");
            string load = MachineDescription.LoadAverage ?? "n/a";
            using TrainingStep step = network.Build(config, new Generator(42), batch);
            ours.Add((step.ParameterCount, StepTiming.MedianSeconds(step.Run), load));
        }

        var table = new ResultTable("network", "input", "parameters (ours)", "parameters (PyTorch)", "ours ms/step", "PyTorch ms/step", "ours / PyTorch", "load avg (ours, PyTorch)");
        var mismatches = new List<string>();
        for (int index = 0; index < selected.Length; index++)
        {
            Network network = selected[index];
            (long parameters, double seconds, string load) = ours[index];
            bool measured = reference.TryGetValue(network.Key, out var torchResult);
            if (measured && torchResult.Parameters != parameters)
            {
                mismatches.Add($"{network.Title}: ours {parameters:N0} parameters, PyTorch {torchResult.Parameters:N0}");
            }

            table.AddRow(
                network.Title, network.Input(config, batch),
                parameters.ToString("N0", CultureInfo.InvariantCulture),
                measured ? torchResult.Parameters.ToString("N0", CultureInfo.InvariantCulture) : "n/a",
                Milliseconds(seconds),
                measured ? Milliseconds(torchResult.Seconds) : "n/a",
                measured ? (seconds / torchResult.Seconds).ToString("0.00", CultureInfo.InvariantCulture) : "n/a",
                measured ? $"{load}, {torchResult.Load.ToString("0.00", CultureInfo.InvariantCulture)}" : load);
        }

        AnsiConsole.Write(table.ToConsoleTable($"One training step, {preset}, batch {batch}"));
        if (mismatches.Count > 0)
        {
            // Different parameter counts mean the two sides do not build the same networks, so the times are not comparable.
            AnsiConsole.MarkupLine($"[red]Parameter counts differ, the architectures do not match: {Markup.Escape(string.Join("; ", mismatches))}[/]");
            return 1;
        }

        string command = "dotnet run -c Release --project tools/Bench -- train-step" + CommandOptions(options);
        string report = Describe(threads, torch, torchUsesOneDnn, torchProblem, loadBefore, command) + "\n\n" + table.ToMarkdown();
        MarkdownReport.ReplaceSection(MarkdownReport.CpuReportPath, sectionHeading, report);
        AnsiConsole.MarkupLine($"Written to {Markup.Escape(MarkdownReport.CpuReportPath)}");
        return 0;
    }

    private static string Describe(int threads, TorchReport? torch, bool torchUsesOneDnn, string torchProblem, string? loadBefore, string command)
    {
        string load = loadBefore is null ? "" : $" Load average (1 min) {loadBefore} before and {MachineDescription.LoadAverage} after the run.";
        string torchLine = torch is null
            ? $"- PyTorch: not measured: {torchProblem}"
            : $"- PyTorch {torch.TorchVersion} using {torch.Blas}{(torchUsesOneDnn ? " and oneDNN (mkldnn) for convolutions" : "")}, " +
              $"torch.set_num_threads({torch.Threads}) ({torch.Python}); the same networks layer for layer (equal parameter counts checked)";
        return string.Join('\n',
            $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {MachineDescription.CpuModel}, {MachineDescription.Cores} cores, {MachineDescription.Runtime}.{load}",
            "",
            $"- Ours: CPU backend, float32, {threads} threads, GEMM by the {ManagedGemm.Description}",
            torchLine,
            $"- One step = zero grads, forward, loss, backward, AdamW (lr {LearningRate.ToString(CultureInfo.InvariantCulture)}, weight decay 0.01) step; " +
            $"median over at least {StepTiming.MinRepeats} steps and {StepTiming.MinSeconds:0.#} s after {StepTiming.Warmup} warm-up steps, the same policy for both; " +
            "each network is measured in PyTorch and right after on our side, so both see about the same machine load " +
            "(load avg: the 1-minute load average when each side's measurement began; this benchmark's own two threads " +
            "raise it towards 2 while it runs).",
            "- Weight VAE: loss = reconstruction MSE + beta KL; UNet: noisy latent and condition map concatenated, random timesteps, " +
            "MSE against random noise; dataset encoder (Set Transformer): contrastive alignment with random [32, 1024] latents.",
            $"- Command: `{command}`");
    }

    private static int RunOnGpu(CudaBackend cuda, Options options)
    {
        ModelConfig config = ModelConfig.Preset(options.Preset);
        int threads = Environment.ProcessorCount;
        cuda.LoadKernels();
        var table = new ResultTable("network", "input", "parameters", "ours ms/step", "PyTorch eager ms/step", "torch.compile ms/step",
            "ours / eager", "ours / compile", "our kernel launches / step", "µs / launch at that rate");
        var mismatches = new List<string>();
        TorchReport? torch = null;
        string torchProblem = "";
        foreach (Network network in options.Networks)
        {
            var reference = new Dictionary<string, (long Parameters, double Seconds)>();
            foreach (string mode in new[] { "eager", "compile" })
            {
                AnsiConsole.MarkupLine($"Measuring the PyTorch {Markup.Escape(network.Title)} on the GPU ({mode}) ...");
                TorchReport? run = TorchReference.TryRun("train-step", TorchArguments(network, config, threads, options.Batch, "cuda", mode), out string problem);
                if (run is null)
                {
                    torchProblem = problem;
                    AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(problem)}[/]");
                    continue;
                }

                torch ??= run;
                foreach (JsonElement result in run.Results.EnumerateArray())
                    reference[mode] = (result.GetProperty("parameters").GetInt64(), result.GetProperty("seconds").GetDouble());
            }

            AnsiConsole.MarkupLine($"Measuring our {Markup.Escape(network.Title)} on the GPU ...");
            using TrainingStep step = network.Build(config, new Generator(42), options.Batch);
            step.Run();
            long before = cuda.KernelLaunches;
            step.Run();
            long launches = cuda.KernelLaunches - before;
            double seconds = StepTiming.MedianSeconds(step.Run);
            foreach (var (mode, (parameters, _)) in reference)
                if (parameters != step.ParameterCount) mismatches.Add($"{network.Title}: ours {step.ParameterCount:N0} parameters, PyTorch ({mode}) {parameters:N0}");

            string Their(string mode) => reference.TryGetValue(mode, out var r) ? Milliseconds(r.Seconds) : "n/a";
            string Ratio(string mode) => reference.TryGetValue(mode, out var r) ? (seconds / r.Seconds).ToString("0.00", CultureInfo.InvariantCulture) : "n/a";
            table.AddRow(network.Title, network.Input(config, options.Batch), step.ParameterCount.ToString("N0", CultureInfo.InvariantCulture),
                Milliseconds(seconds), Their("eager"), Their("compile"), Ratio("eager"), Ratio("compile"),
                launches.ToString(CultureInfo.InvariantCulture), (seconds * 1e6 / Math.Max(1, launches)).ToString("0.0", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table.ToConsoleTable($"One training step on the GPU, {options.Preset}, batch {options.Batch}"));
        if (mismatches.Count > 0)
        {
            AnsiConsole.MarkupLine($"[red]Parameter counts differ, the architectures do not match: {Markup.Escape(string.Join("; ", mismatches))}[/]");
            return 1;
        }

        string report = string.Join('\n',
            $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {cuda.Description}; host {MachineDescription.CpuModel}, {MachineDescription.Cores} cores, {MachineDescription.Runtime}.",
            "",
            "- Ours: CUDA backend, float32, TF32 off (NVRTC kernels and cuBLAS).",
            torch is null
                ? $"- PyTorch: not measured: {torchProblem}"
                : $"- PyTorch {torch.TorchVersion} on {torch.Blas} ({torch.Python}), TF32 off: eager, and the loss through torch.compile (default mode); " +
                  "attention by F.scaled_dot_product_attention, default AdamW (multi-tensor on a GPU); equal parameter counts checked.",
            $"- One step = zero grads, forward, loss, backward, AdamW (lr {LearningRate.ToString(CultureInfo.InvariantCulture)}, weight decay 0.01), then a device synchronise; " +
            $"median over at least {StepTiming.MinRepeats} steps and {StepTiming.MinSeconds:0.#} s after {StepTiming.Warmup} warm-up steps (torch.compile compiles during its warm-up).",
            "- Kernel launches: our kernels/*.cu launches in one step (cuBLAS calls not counted); step time / launches bounds what launch overhead can cost.",
            $"- Command: `Bench --device cuda train-step{CommandOptions(options)}`",
            "",
            table.ToMarkdown());
        MarkdownReport.ReplaceSection(GpuBenchmark.ReportPath, $"GPU training steps ({options.Preset})", report);
        AnsiConsole.MarkupLine($"Written to {Markup.Escape(GpuBenchmark.ReportPath)}");
        return 0;
    }

    private static string CommandOptions(Options options) =>
        (options.Networks.Length == Networks.Length ? "" : $" --networks {string.Join(',', options.Networks.Select(n => n.Key))}") +
        (options.Preset == DefaultPreset ? "" : $" --preset {options.Preset}") +
        (options.Batch == DefaultBatch ? "" : $" --batch {options.Batch}");

    private static IEnumerable<string> TorchArguments(Network network, ModelConfig config, int threads, int batch, string device, string mode) =>
    [
        "--threads", threads.ToString(CultureInfo.InvariantCulture),
        "--networks", network.Key,
        "--batch", batch.ToString(CultureInfo.InvariantCulture),
        "--device", device,
        "--mode", mode,
        "--learning-rate", LearningRate.ToString(CultureInfo.InvariantCulture),
        "--config", JsonSerializer.Serialize(config, new JsonSerializerOptions(ModelConfig.JsonOptions) { WriteIndented = false }),
        .. StepTiming.ToPythonArguments(),
    ];

    private static string Milliseconds(double seconds) => (seconds * 1000).ToString("0.0", CultureInfo.InvariantCulture);

    private static TrainingStep BuildVae(ModelConfig config, Generator generator, int batch)
    {
        var model = new WeightVae(config.Vae, generator);
        Tensor vectors = Persistent(() => Tensor.Randn([batch, config.Vae.VectorLength], generator, 0, 0.1));
        return new TrainingStep(model, () => model.Loss(vectors, model.Forward(vectors, generator)).Total, vectors);
    }

    private static TrainingStep BuildUNet(ModelConfig config, Generator generator, int batch)
    {
        UNetConfig c = config.UNet;
        var model = new UNet(c, generator);
        var random = generator.HostRandom();
        float[] steps = Enumerable.Range(0, batch).Select(_ => (float)random.Next(config.Diffusion.Steps)).ToArray();
        Tensor latents = Persistent(() => Tensor.Randn([batch, c.LatentChannels, c.ImageSize, c.ImageSize], generator));
        Tensor map = Persistent(() => Tensor.Randn([batch, c.ConditionMapChannels, c.ImageSize, c.ImageSize], generator));
        Tensor noise = Persistent(() => Tensor.Randn([batch, c.OutChannels, c.ImageSize, c.ImageSize], generator));
        Tensor timesteps = Persistent(() => Tensor.FromArray(steps, batch));
        var condition = new UNetCondition(Map: map);
        return new TrainingStep(model, () => F.MseLoss(model.Forward(latents, timesteps, condition), noise), latents, map, noise, timesteps);
    }

    private static TrainingStep BuildEncoder(ModelConfig config, Generator generator, int batch)
    {
        DatasetEncoderConfig c = config.DatasetEncoder;
        var model = new SetTransformerEncoder(c, generator);
        Tensor features = Persistent(() => Tensor.Randn([batch, c.MaxClasses, 5, c.FeatureLength], generator));
        Tensor latents = Persistent(() => Tensor.Randn([batch, c.OutputLength], generator));
        return new TrainingStep(model, () => ContrastiveAlignment.Loss(model.Forward(features), latents, c.Temperature), features, latents);
    }

    /// <summary>Inputs live for the whole benchmark, outside the steps' dispose scopes.</summary>
    private static Tensor Persistent(Func<Tensor> create)
    {
        using (DisposeScope.Suspend())
        {
            return create();
        }
    }

    private static bool TryParse(string[] arguments, out Options options, out string error)
    {
        options = new Options(Networks, DefaultPreset, DefaultBatch);
        error = "";
        for (int index = 0; index < arguments.Length; index++)
        {
            string name = arguments[index];
            if (index + 1 >= arguments.Length || name is not ("--networks" or "--preset" or "--batch"))
            {
                error = $"Unexpected option '{name}' (or it lacks its value).";
                return false;
            }

            string value = arguments[++index];
            switch (name)
            {
                case "--networks":
                    string[] keys = value.Split(',', StringSplitOptions.RemoveEmptyEntries);
                    string? unknown = keys.FirstOrDefault(key => Networks.All(network => network.Key != key));
                    if (unknown is not null || keys.Length == 0)
                    {
                        error = unknown is null ? "--networks needs at least one network." : $"Unknown network '{unknown}'.";
                        return false;
                    }

                    options = options with { Networks = Networks.Where(network => keys.Contains(network.Key)).ToArray() };
                    break;
                case "--preset":
                    try
                    {
                        ModelConfig.Preset(value);
                    }
                    catch (Exception e) when (e is ArgumentException or IOException or FormatException)
                    {
                        error = $"--preset: {e.Message}";
                        return false;
                    }

                    options = options with { Preset = value };
                    break;
                default:
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int batch) || batch < 1)
                    {
                        error = $"--batch takes a positive batch size, not '{value}'.";
                        return false;
                    }

                    options = options with { Batch = batch };
                    break;
            }
        }

        return true;
    }

    /// <summary>A model, its AdamW optimizer and a loss over fixed inputs; <see cref="Run"/> is one training step.</summary>
    private sealed class TrainingStep(Module model, Func<Tensor> loss, params Tensor[] inputs) : IDisposable
    {
        private readonly AdamW optimizer = new(model.Parameters(), LearningRate);

        public long ParameterCount => model.ParameterCount;

        public void Run()
        {
            using (DisposeScope.Enter())
            {
                optimizer.ZeroGrad();
                loss().Backward();
                optimizer.Step();
            }

            // A GPU queues the step; the time counts until it has run (a no-op on the CPU).
            Backend.Default.Synchronize();
        }

        public void Dispose()
        {
            optimizer.Dispose();
            model.Dispose();
            foreach (Tensor input in inputs)
            {
                input.Dispose();
            }
        }
    }
}

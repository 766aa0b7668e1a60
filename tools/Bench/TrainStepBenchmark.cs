using System.Globalization;
using System.Text.Json;
using RawDiffusion.Backends.Cpu;
using RawDiffusion.Models;
using RawDiffusion.Nn;
using RawDiffusion.Training.Optimizers;
using Spectre.Console;

namespace RawDiffusion.Bench;

/// <summary>
/// One training step (forward, backward, AdamW step) of each network of the d2nwg-small preset on the CPU backend,
/// against the same architectures written layer for layer in PyTorch (tools/bench/torch_reference.py train-step).
/// Equal parameter counts on both sides are the check that the architectures match; a difference fails the run.
/// </summary>
internal static class TrainStepBenchmark
{
    private const string SectionHeading = "Training steps (d2nwg-small)";
    private const string Preset = "d2nwg-small";
    private const int Batch = 32;
    private const double LearningRate = 1e-4;

    // A step takes from tens of milliseconds to seconds: a few warm-up steps (optimizer state, buffer pools, JIT tiers),
    // then the median of at least seven.
    private static readonly Timing StepTiming = new(Warmup: 3, MinRepeats: 7, MinSeconds: 2.0, MaxRepeats: 50);

    /// <summary>A benchmarked network: its name in tables and on the command line, and how to build its training step.</summary>
    private sealed record Network(string Key, string Title, string Input, Func<ModelConfig, Generator, TrainingStep> Build);

    private static readonly Network[] Networks =
    [
        new("vae", "weight VAE", $"{Batch} x 2864", BuildVae),
        new("unet", "UNet", $"{Batch} x 2x32x32", BuildUNet),
        new("encoder", "dataset encoder", $"{Batch} x 10x5x512", BuildEncoder),
    ];

    public static int Run(string[] options)
    {
        if (!TryParseNetworks(options, out Network[] selected, out string error))
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(error)}[/]");
            AnsiConsole.WriteLine($"usage: train-step [--networks {string.Join(',', Networks.Select(n => n.Key))}]");
            return 2;
        }

        ModelConfig config = ModelConfig.Preset(Preset);
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
            TorchReport? torchRun = TorchReference.TryRun("train-step", TorchArguments(network, config, threads), out string problem);
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
            using TrainingStep step = network.Build(config, new Generator(42));
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
                network.Title, network.Input,
                parameters.ToString("N0", CultureInfo.InvariantCulture),
                measured ? torchResult.Parameters.ToString("N0", CultureInfo.InvariantCulture) : "n/a",
                Milliseconds(seconds),
                measured ? Milliseconds(torchResult.Seconds) : "n/a",
                measured ? (seconds / torchResult.Seconds).ToString("0.00", CultureInfo.InvariantCulture) : "n/a",
                measured ? $"{load}, {torchResult.Load.ToString("0.00", CultureInfo.InvariantCulture)}" : load);
        }

        AnsiConsole.Write(table.ToConsoleTable($"One training step, {Preset}, batch {Batch}"));
        if (mismatches.Count > 0)
        {
            // Different parameter counts mean the two sides do not build the same networks, so the times are not comparable.
            AnsiConsole.MarkupLine($"[red]Parameter counts differ, the architectures do not match: {Markup.Escape(string.Join("; ", mismatches))}[/]");
            return 1;
        }

        string command = "dotnet run -c Release --project tools/Bench -- train-step" +
            (selected.Length == Networks.Length ? "" : $" --networks {string.Join(',', selected.Select(n => n.Key))}");
        string report = Describe(threads, torch, torchUsesOneDnn, torchProblem, loadBefore, command) + "\n\n" + table.ToMarkdown();
        MarkdownReport.ReplaceSection(MarkdownReport.CpuReportPath, SectionHeading, report);
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

    private static IEnumerable<string> TorchArguments(Network network, ModelConfig config, int threads) =>
    [
        "--threads", threads.ToString(CultureInfo.InvariantCulture),
        "--networks", network.Key,
        "--batch", Batch.ToString(CultureInfo.InvariantCulture),
        "--learning-rate", LearningRate.ToString(CultureInfo.InvariantCulture),
        "--config", JsonSerializer.Serialize(config, new JsonSerializerOptions(ModelConfig.JsonOptions) { WriteIndented = false }),
        .. StepTiming.ToPythonArguments(),
    ];

    private static string Milliseconds(double seconds) => (seconds * 1000).ToString("0.0", CultureInfo.InvariantCulture);

    private static TrainingStep BuildVae(ModelConfig config, Generator generator)
    {
        var model = new WeightVae(config.Vae, generator);
        Tensor vectors = Persistent(() => Tensor.Randn([Batch, config.Vae.VectorLength], generator, 0, 0.1));
        return new TrainingStep(model, () => model.Loss(vectors, model.Forward(vectors, generator)).Total, vectors);
    }

    private static TrainingStep BuildUNet(ModelConfig config, Generator generator)
    {
        UNetConfig c = config.UNet;
        var model = new UNet(c, generator);
        var random = generator.HostRandom();
        float[] steps = Enumerable.Range(0, Batch).Select(_ => (float)random.Next(config.Diffusion.Steps)).ToArray();
        Tensor latents = Persistent(() => Tensor.Randn([Batch, c.LatentChannels, c.ImageSize, c.ImageSize], generator));
        Tensor map = Persistent(() => Tensor.Randn([Batch, c.ConditionMapChannels, c.ImageSize, c.ImageSize], generator));
        Tensor noise = Persistent(() => Tensor.Randn([Batch, c.OutChannels, c.ImageSize, c.ImageSize], generator));
        Tensor timesteps = Persistent(() => Tensor.FromArray(steps, Batch));
        var condition = new UNetCondition(Map: map);
        return new TrainingStep(model, () => F.MseLoss(model.Forward(latents, timesteps, condition), noise), latents, map, noise, timesteps);
    }

    private static TrainingStep BuildEncoder(ModelConfig config, Generator generator)
    {
        DatasetEncoderConfig c = config.DatasetEncoder;
        var model = new SetTransformerEncoder(c, generator);
        Tensor features = Persistent(() => Tensor.Randn([Batch, c.MaxClasses, 5, c.FeatureLength], generator));
        Tensor latents = Persistent(() => Tensor.Randn([Batch, c.OutputLength], generator));
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

    private static bool TryParseNetworks(string[] options, out Network[] selected, out string error)
    {
        selected = Networks;
        error = "";
        for (int index = 0; index < options.Length; index++)
        {
            if (options[index] != "--networks" || index + 1 >= options.Length)
            {
                error = $"Unexpected option '{options[index]}'.";
                return false;
            }

            string[] keys = options[++index].Split(',', StringSplitOptions.RemoveEmptyEntries);
            string? unknown = keys.FirstOrDefault(key => Networks.All(network => network.Key != key));
            if (unknown is not null || keys.Length == 0)
            {
                error = unknown is null ? "--networks needs at least one network." : $"Unknown network '{unknown}'.";
                return false;
            }

            selected = Networks.Where(network => keys.Contains(network.Key)).ToArray();
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

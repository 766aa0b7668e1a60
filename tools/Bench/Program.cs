using RawDiffusion.Backends;
using RawDiffusion.Bench;
using RawDiffusion.Cuda;
using Spectre.Console;

// `--device auto|cpu|cuda` (anywhere on the line, default RAWDIFFUSION_DEVICE, else auto) selects the backend the way the
// Trainer does; each benchmark is a subcommand.
if (!TryTakeDevice(ref args, out string device, out string? problem))
{
    AnsiConsole.MarkupLine($"[red]{Markup.Escape(problem!)}[/]");
    return 2;
}

if (args is not [var benchmark, ..] || benchmark is not ("matmul" or "train-step" or "gpu" or "spectrum" or "spectrum-scan")) return PrintUsage();
// The spectrum benchmark picks its backend per measurement (and its scan runs in a child process): it takes the choice.
if (benchmark == "spectrum")
    return SpectrumBenchmark.Run([.. args[1..], "--device", DeviceSelection.Parse(device, "--device") == DeviceChoice.Cuda ? "cuda" : "cpu"]);
if (args is ["spectrum-scan", var scanFolder, var scanLayers, var scanDevice]) return SpectrumBenchmark.ScanChild([scanFolder, scanLayers, scanDevice]);
if (benchmark == "spectrum-scan") return PrintUsage();
// matmul measures the CPU's GEMM providers and gpu always the GPU, whatever --device says; train-step follows it.
DeviceChoice choice = DeviceSelection.Parse(device, "--device");
if (benchmark == "gpu" && choice == DeviceChoice.Cpu)
{
    AnsiConsole.MarkupLine("[red]gpu measures the CUDA backend; --device cpu contradicts it.[/]");
    return 2;
}

if (benchmark == "matmul" && choice == DeviceChoice.Cuda)
{
    AnsiConsole.MarkupLine("[red]matmul measures the CPU GEMM kernels; `gpu --only matmul` measures the GPU's.[/]");
    return 2;
}

DeviceSelection selection;
try
{
    selection = DeviceSelection.Apply(benchmark == "train-step" ? choice : DeviceChoice.Cpu, notice => AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(notice)}[/]"));
}
catch (InvalidOperationException error)
{
    AnsiConsole.MarkupLine($"[red]{Markup.Escape(error.Message)}[/]");
    return 1;
}

using (selection)
{
    AnsiConsole.MarkupLine($"Backend: {Markup.Escape(Backend.DefaultDescription)}");
    string[] options = args[1..];
    return benchmark switch
    {
        "matmul" => MatmulBenchmark.Run(options),
        "train-step" => TrainStepBenchmark.Run(options),
        _ => GpuBenchmark.Run(options),
    };
}

static bool TryTakeDevice(ref string[] args, out string device, out string? problem)
{
    device = DeviceSelection.DefaultValue;
    problem = DeviceSelection.Problem(device, DeviceSelection.Variable);
    var rest = new List<string>();
    for (int i = 0; i < args.Length; i++)
    {
        if (args[i] != "--device")
        {
            rest.Add(args[i]);
            continue;
        }

        if (i + 1 >= args.Length)
        {
            problem = $"--device needs a value: {DeviceSelection.Values}";
            return false;
        }

        device = args[++i];
        problem = DeviceSelection.Problem(device, "--device");
    }

    args = [.. rest];
    return problem is null;
}

static int PrintUsage()
{
    AnsiConsole.WriteLine("usage: dotnet run -c Release --project tools/Bench -- [--device auto|cpu|cuda] <benchmark> [options]");
    AnsiConsole.WriteLine("  matmul [--sizes 256,512,1024,2048]   square fp32 matmul on the CPU: managed kernel, system BLAS, PyTorch");
    AnsiConsole.WriteLine("  train-step [--networks vae,unet,encoder] [--preset d2nwg-small|d2nwg-base] [--batch 32]");
    AnsiConsole.WriteLine("             one training step of each network, ours vs PyTorch on the selected device (eager and torch.compile on a GPU)");
    AnsiConsole.WriteLine("  gpu [--only matmul,memory,launch,train] ...   the CUDA backend's kernels, launch overhead and small training steps (GpuBenchmark.cs)");
    AnsiConsole.WriteLine("  spectrum [--shapes 1024x1024,4096x4096,4096x14336] [--layers 32]   singular values vs torch.linalg.svdvals, synthetic 8B checkpoint scan");
    return 2;
}

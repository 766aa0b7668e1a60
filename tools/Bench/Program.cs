using RawDiffusion.Bench;
using Spectre.Console;

// Each benchmark is a subcommand so that new ones (train-step, ...) can be added next to matmul.
return args switch
{
    ["matmul", .. var options] => MatmulBenchmark.Run(options),
    ["train-step", .. var options] => TrainStepBenchmark.Run(options),
    ["gpu", .. var options] => GpuBenchmark.Run(options),
    ["spectrum", .. var options] => SpectrumBenchmark.Run(options),
    ["spectrum-scan", var folder, var layers, var device] => SpectrumBenchmark.ScanChild([folder, layers, device]),
    _ => PrintUsage(),
};

static int PrintUsage()
{
    AnsiConsole.WriteLine("usage: dotnet run -c Release --project tools/Bench -- <benchmark> [options]");
    AnsiConsole.WriteLine("  matmul [--sizes 256,512,1024,2048]   square fp32 matmul: managed kernel, system BLAS, PyTorch");
    AnsiConsole.WriteLine("  spectrum [--shapes 1024x1024,4096x4096,4096x14336] [--layers 32] [--device cpu|cuda]   singular values vs torch.linalg.svdvals, synthetic 8B checkpoint scan");
    AnsiConsole.WriteLine("  train-step [--networks vae,unet,encoder]   one d2nwg-small training step of each network, ours vs PyTorch");
    return 2;
}

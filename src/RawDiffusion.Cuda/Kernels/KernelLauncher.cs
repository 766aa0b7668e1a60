using RawDiffusion.Cuda.Native;

namespace RawDiffusion.Cuda.Kernels;

/// <summary>Launches catalogued kernels on the context's stream. Launches are asynchronous: a failing kernel
/// surfaces at the next synchronising call (Synchronize, a download), as CUDA reports it.</summary>
internal sealed unsafe class KernelLauncher(CudaContext context, CudaModuleCache modules)
{
    /// <summary>Launches <paramref name="kernel"/> (a name from <see cref="KernelCatalog"/>).</summary>
    public void Launch(string kernel, LaunchConfig config, ref KernelArguments arguments) =>
        Launch(modules.GetFunction(kernel), config, ref arguments);

    /// <summary>Kernels launched so far (for the benchmarks' launches-per-step count).</summary>
    public long Launches { get; private set; }

    public void Launch(nint function, LaunchConfig config, ref KernelArguments arguments)
    {
        context.MakeCurrent();
        Launches++;
        arguments.WithPointers(new LaunchState(function, config, context.Stream), &LaunchWith);
    }

    /// <summary>A one-dimensional grid-stride launch over <paramref name="workItems"/> items sized for this device.</summary>
    public LaunchConfig Linear(long workItems) => LaunchConfig.Linear(workItems, context.MultiprocessorCount);

    readonly record struct LaunchState(nint Function, LaunchConfig Config, nint Stream);

    static void LaunchWith(LaunchState s, void** kernelParams)
    {
        var (grid, block) = (s.Config.Grid, s.Config.Block);
        CudaDriver.Check(CudaDriver.cuLaunchKernel(s.Function, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z,
            s.Config.SharedMemoryBytes, s.Stream, kernelParams, null));
    }
}

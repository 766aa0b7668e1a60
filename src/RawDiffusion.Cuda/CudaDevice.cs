using RawDiffusion.Cuda.Kernels;
using RawDiffusion.Cuda.Memory;
using RawDiffusion.Cuda.Primitives;

namespace RawDiffusion.Cuda;

/// <summary>Everything one GPU needs, wired together: context, caching allocator, kernel compiler and module cache,
/// launcher and the host side of the primitives. The CUDA backend will hold one of these.</summary>
internal sealed class CudaDevice : IDisposable
{
    public CudaDevice(CudaContext context, KernelCompiler compiler)
    {
        Context = context;
        Allocator = new CudaCachingAllocator(new DriverDeviceMemory(context));
        Modules = new CudaModuleCache(context, compiler);
        Launcher = new KernelLauncher(context, Modules);
        Primitives = new CudaPrimitives(context, Launcher, Allocator);
    }

    /// <summary>Opens device <paramref name="ordinal"/> with kernels from the repository (or the bundled copy).</summary>
    public static CudaDevice Open(int ordinal = 0)
    {
        var compiler = new KernelCompiler(KernelSources.Locate());
        var context = CudaContext.Create(ordinal);
        try
        {
            return new CudaDevice(context, compiler);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    public CudaContext Context { get; }
    public CudaCachingAllocator Allocator { get; }
    public CudaModuleCache Modules { get; }
    public KernelLauncher Launcher { get; }
    public CudaPrimitives Primitives { get; }

    /// <summary>Waits for queued work, then unloads modules, releases the allocator's cache and the context.</summary>
    public void Dispose()
    {
        Context.Synchronize();
        Modules.Dispose();
        Allocator.Dispose();
        Context.Dispose();
    }
}

using RawDiffusion.Cuda.Kernels;
using RawDiffusion.Cuda.Memory;

namespace RawDiffusion.Cuda;

/// <summary>Everything one GPU needs, wired together: context, caching allocator, kernel compiler and module cache,
/// and launcher. CudaBackend holds one and launches its kernels through it.</summary>
internal sealed class CudaDevice : IDisposable
{
    public CudaDevice(CudaContext context, KernelCompiler compiler)
    {
        Context = context;
        Allocator = new CudaCachingAllocator(new DriverDeviceMemory(context));
        Modules = new CudaModuleCache(context, compiler);
        Launcher = new KernelLauncher(context, Modules);
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

    /// <summary>Waits for queued work, then unloads modules, releases the allocator's cache and the context.</summary>
    public void Dispose()
    {
        Context.Synchronize();
        Modules.Dispose();
        Allocator.Dispose();
        Context.Dispose();
    }
}

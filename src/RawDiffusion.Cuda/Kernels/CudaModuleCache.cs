using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using RawDiffusion.Cuda.Native;

namespace RawDiffusion.Cuda.Kernels;

/// <summary>Loaded kernel modules of one context and their functions by name. A kernel file is compiled (or taken
/// from the disk cache) and loaded the first time one of its kernels is asked for; later lookups are a dictionary
/// read.</summary>
internal sealed unsafe class CudaModuleCache(CudaContext context, KernelCompiler compiler) : IDisposable
{
    readonly Dictionary<string, nint> modules = [];
    readonly ConcurrentDictionary<string, nint> functions = new();
    readonly List<CompiledKernel> loaded = [];
    readonly Lock gate = new();
    bool disposed;

    /// <summary>The CUfunction of a catalogued kernel.</summary>
    public nint GetFunction(string kernel) =>
        functions.TryGetValue(kernel, out var function) ? function : LoadFunction(kernel);

    /// <summary>Compiles and loads a whole file now (e.g. to keep the first training step's timing clean).</summary>
    public void Load(KernelFile file)
    {
        foreach (var kernel in file.Kernels) GetFunction(kernel);
    }

    /// <summary>How each loaded file was obtained, for diagnostics.</summary>
    public IReadOnlyList<CompiledKernel> Loaded
    {
        get { lock (gate) return [.. loaded]; }
    }

    nint LoadFunction(string kernel)
    {
        var file = KernelCatalog.FileOf(kernel);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (functions.TryGetValue(kernel, out var function)) return function;
            context.MakeCurrent();
            var module = Module(file);
            var name = Marshal.StringToCoTaskMemUTF8(kernel);
            try
            {
                CudaDriver.Check(CudaDriver.cuModuleGetFunction(out function, module, (byte*)name));
            }
            finally
            {
                Marshal.FreeCoTaskMem(name);
            }
            functions[kernel] = function;
            return function;
        }
    }

    nint Module(KernelFile file)
    {
        if (modules.TryGetValue(file.FileName, out var module)) return module;
        var compiled = compiler.Compile(file.FileName, context.ComputeCapability);
        fixed (byte* image = compiled.Image)
            CudaDriver.Check(CudaDriver.cuModuleLoadData(out module, image));
        modules[file.FileName] = module;
        loaded.Add(compiled);
        return module;
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            functions.Clear();
            if (modules.Count == 0) return;
            context.MakeCurrent();
            foreach (var module in modules.Values) CudaDriver.Check(CudaDriver.cuModuleUnload(module));
            modules.Clear();
        }
    }
}

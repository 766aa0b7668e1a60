using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using RawDiffusion.Backends;
using RawDiffusion.Cuda.Kernels;
using RawDiffusion.Cuda.Memory;
using RawDiffusion.Cuda.Native;

namespace RawDiffusion.Cuda;

/// <summary>The engine's primitives on one NVIDIA GPU: tensors live in device memory from a caching allocator, every
/// primitive is a kernel (compiled from kernels/*.cu by NVRTC on first use, then cached on disk) or a cuBLAS call
/// queued on the context's one stream, and the host waits only where it reads data (Download, and the two
/// primitives that answer with an index). Select it for new tensors with
/// <code>
/// using var cuda = CudaBackend.Create();
/// Backend.Default = cuda;
/// </code>
/// or pass it as the <c>backend</c> of tensors and layers. <see cref="TryCreate"/> says why no GPU can be used.</summary>
public sealed partial class CudaBackend : IBackend, IDisposable
{
    readonly CudaDevice device;
    readonly bool ownsDevice;
    bool disposed;

    internal CudaBackend(CudaDevice device, bool ownsDevice)
    {
        this.device = device;
        this.ownsDevice = ownsDevice;
    }

    /// <summary>Opens GPU <paramref name="ordinal"/> (0 = the first).</summary>
    /// <exception cref="DllNotFoundException">The CUDA driver or cuBLAS is not installed.</exception>
    /// <exception cref="CudaException">No such device, or the driver failed.</exception>
    public static CudaBackend Create(int ordinal = 0) => new(CudaDevice.Open(ordinal), ownsDevice: true);

    /// <summary>Opens GPU <paramref name="ordinal"/> if this machine can run the backend; otherwise
    /// <paramref name="reason"/> says what is missing (driver, device, cuBLAS, NVRTC, kernel sources).</summary>
    public static bool TryCreate([NotNullWhen(true)] out CudaBackend? backend, out string reason, int ordinal = 0)
    {
        backend = null;
        if (!IsAvailable(out reason, ordinal)) return false;
        try
        {
            backend = Create(ordinal);
            return true;
        }
        catch (Exception e) when (e is CudaException or DllNotFoundException or DirectoryNotFoundException)
        {
            reason = e.Message;
            return false;
        }
    }

    /// <summary>Whether the driver, a device <paramref name="ordinal"/> and NVRTC are present, without opening the device.</summary>
    public static bool IsAvailable(out string reason, int ordinal = 0)
    {
        if (!CudaLibraries.TryLoad(CudaLibraries.Driver, out var failure))
        {
            reason = $"no CUDA driver: {failure}";
            return false;
        }
        int count;
        try
        {
            count = CudaContext.DeviceCount();
        }
        catch (CudaException e)
        {
            reason = $"the CUDA driver reports no usable device: {e.Message}";
            return false;
        }
        if (ordinal < 0 || ordinal >= count)
        {
            reason = count == 0 ? "the CUDA driver reports no GPU" : $"there is no GPU {ordinal}: the driver reports {count}";
            return false;
        }
        if (!CudaLibraries.TryLoad(CudaLibraries.Nvrtc, out failure))
        {
            reason = $"NVRTC, which compiles the kernels, is missing: {failure}";
            return false;
        }
        reason = "";
        return true;
    }

    public string Name => "cuda";

    /// <summary>E.g. "CUDA: NVIDIA H200 (sm_90, 139.8 GiB), driver 13.0".</summary>
    public string Description
    {
        get
        {
            var context = device.Context;
            return $"CUDA: {context.DeviceName} (sm_{context.ComputeCapability.Number}, {context.TotalMemory / (1024.0 * 1024 * 1024):F1} GiB), " +
                   $"driver {context.DriverVersion / 1000}.{context.DriverVersion % 1000 / 10}";
        }
    }

    /// <summary>The GPU: name, compute capability, memory, stream.</summary>
    public CudaContext Context => device.Context;

    /// <summary>Lets float32 matrix products use TF32 tensor cores (about 1e-3 relative error, several times faster).
    /// Off by default, so results match the CPU backend to float32 rounding.</summary>
    public bool AllowTf32
    {
        get => device.Context.AllowTf32;
        set => device.Context.AllowTf32 = value;
    }

    /// <summary>Kernels of kernels/*.cu launched so far on this device (cuBLAS calls not included): the benchmarks divide
    /// the difference over a training step by the step to show how many launches small networks pay for.</summary>
    public long KernelLaunches => device.Launcher.Launches;

    /// <summary>Records <paramref name="work"/> as a CUDA graph, to replay with <see cref="CudaGraph.Launch"/> at the cost
    /// of one launch; see <see cref="CudaGraph"/> for what the work may do. Opt-in and not yet measured on a GPU.</summary>
    public CudaGraph CaptureGraph(Action work)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return CudaGraph.Capture(device.Context, device.Allocator, work);
    }

    /// <summary>The caching allocator's counters: memory in use, reserved from the driver, peaks.</summary>
    public AllocatorStatistics MemoryStatistics => device.Allocator.Statistics;

    /// <summary>Returns cached device memory that no tensor uses to the driver.</summary>
    public void EmptyCache() => device.Allocator.EmptyCache();

    /// <summary>Compiles (or loads from the disk cache) every kernel now rather than at first use, e.g. before timing.</summary>
    public void LoadKernels()
    {
        foreach (var file in KernelCatalog.All) device.Modules.Load(file);
    }

    public DeviceBuffer Allocate(DType dtype, long length)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return new CudaBuffer(this, device.Allocator, dtype, length);
    }

    public void Upload<T>(ReadOnlySpan<T> source, DeviceBuffer destination, long offset) where T : unmanaged =>
        device.Context.CopyToDevice(source, HostCopyTarget<T>(destination, offset, source.Length, nameof(destination)));

    /// <summary>Waits for the work queued before it, then copies.</summary>
    public void Download<T>(DeviceBuffer source, long offset, Span<T> destination) where T : unmanaged =>
        device.Context.CopyToHost(HostCopyTarget<T>(source, offset, destination.Length, nameof(source)), destination);

    public void Synchronize() => device.Context.Synchronize();

    /// <summary>Waits for queued work and releases the GPU (when this backend opened it). Tensors still alive on it
    /// become unusable; <see cref="Backend.Default"/> goes back to the CPU if it was this backend.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (ReferenceEquals(Backend.Default, this)) Backend.Default = Backend.Cpu;
        if (ownsDevice) device.Dispose();
        else device.Context.Synchronize();
    }

    public override string ToString() => $"cuda: {device.Context}";

    /// <summary>The device address for a host copy of <paramref name="count"/> values of T at element <paramref name="offset"/>
    /// counted in T, as the CPU backend reads the buffer's bytes.</summary>
    unsafe nint HostCopyTarget<T>(DeviceBuffer buffer, long offset, long count, string name) where T : unmanaged
    {
        var cuda = Own(buffer, name);
        long byteOffset = offset * sizeof(T), bytes = count * sizeof(T);
        if (offset < 0 || byteOffset + bytes > cuda.ByteLength)
            throw new ArgumentOutOfRangeException(name, $"{count} {typeof(T).Name} values at offset {offset} lie outside a buffer of {cuda.Length} {cuda.DType} elements");
        return cuda.Pointer + (nint)byteOffset;
    }

    /// <summary>The buffer as this backend's own, or an error naming the operand.</summary>
    CudaBuffer Own(DeviceBuffer buffer, string name)
    {
        ArgumentNullException.ThrowIfNull(buffer, name);
        ObjectDisposedException.ThrowIf(disposed, this);
        if (buffer is CudaBuffer cuda && ReferenceEquals(cuda.Backend, this)) return cuda;
        throw new ArgumentException($"{name} belongs to backend {buffer.Backend.Name}, not to this {Name} backend", name);
    }

    /// <summary>The address of element <paramref name="offset"/> of a buffer of <paramref name="dtype"/>, after checking that
    /// elements [offset, offset + count) exist: a kernel reading past a buffer does not fail, it corrupts memory.</summary>
    nint At(DeviceBuffer buffer, long offset, long count, DType dtype, [CallerArgumentExpression(nameof(buffer))] string name = "")
    {
        var cuda = Own(buffer, name);
        if (cuda.DType != dtype) throw new ArgumentException($"{name} is {cuda.DType}, expected {dtype}", name);
        if (offset < 0 || count < 0 || offset + count > cuda.Length)
            throw new ArgumentOutOfRangeException(name, $"elements [{offset}, {offset + count}) of {name} lie outside its buffer of {cuda.Length}");
        return cuda.PointerAt(offset);
    }

    /// <summary>The address of a view's first element, after checking that every element it reaches exists.</summary>
    nint At(StridedView view, DType dtype, [CallerArgumentExpression(nameof(view))] string name = "")
    {
        long low = 0, high = 0;
        if (view.Numel > 0)
            for (int d = 0; d < view.Rank; d++)
            {
                long reach = (view.Shape[d] - 1) * view.Strides[d];
                if (reach < 0) low += reach;
                else high += reach;
            }
        if (view.Numel > 0 && view.Offset + low < 0)
            throw new ArgumentOutOfRangeException(name, $"{name} reaches before the start of its buffer");
        return At(view.Buffer, view.Offset, view.Numel == 0 ? 0 : high + 1, dtype, name);
    }

    /// <summary>A contiguous view's address, checked to hold <paramref name="count"/> elements of <paramref name="dtype"/>.</summary>
    nint Dense(StridedView view, long count, DType dtype, [CallerArgumentExpression(nameof(view))] string name = "")
    {
        if (!view.IsContiguous)
            throw new ArgumentException($"{name} must be contiguous, got shape {ShapeMath.Format(view.Shape)} with strides [{string.Join(", ", view.Strides)}]", name);
        if (view.Numel != count)
            throw new ArgumentException($"{name} has {view.Numel} elements (shape {ShapeMath.Format(view.Shape)}), expected {count}", name);
        return At(view.Buffer, view.Offset, count, dtype, name);
    }

    nint Dense(StridedView? view, long count, DType dtype, [CallerArgumentExpression(nameof(view))] string name = "") =>
        view is { } v ? Dense(v, count, dtype, name) : 0;

    static DType FloatingDType(DeviceBuffer buffer, string primitive)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (!buffer.DType.IsFloating()) throw new ArgumentException($"{primitive} is not defined for {buffer.DType} tensors");
        return buffer.DType;
    }
}

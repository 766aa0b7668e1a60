using System.Runtime.InteropServices;
using RawDiffusion.Cuda.Native;
using static RawDiffusion.Cuda.Native.CudaDriver;

namespace RawDiffusion.Cuda;

/// <summary>One GPU as the backend uses it: the device's primary context, one stream on which every kernel, copy,
/// cuBLAS call and cuRAND call is queued (so they run in order without events), a cuBLAS handle and a cuRAND
/// generator bound to that stream, and the device's properties. The driver needs the context current on each
/// calling thread: every operation here calls <see cref="MakeCurrent"/>, which is a thread-local compare after
/// the first time.</summary>
public sealed unsafe class CudaContext : IDisposable
{
    // The instance, not the handle: a primary context released and retained again may come back at the same address.
    [ThreadStatic] static CudaContext? currentOnThisThread;

    readonly int device;
    bool disposed;

    CudaContext(int ordinal)
    {
        DeviceOrdinal = ordinal;
        Check(cuInit(0));
        Check(cuDeviceGet(out device, ordinal));
        Check(cuDriverGetVersion(out int driverVersion));
        DriverVersion = driverVersion;
        DeviceName = ReadName(device);
        ComputeCapability = new(Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                                Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR));
        MultiprocessorCount = Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        MaxThreadsPerBlock = Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK);
        MaxGridDimY = Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y);
        Check(cuDeviceTotalMem_v2(out var total, device));
        TotalMemory = (long)total;

        Check(cuDevicePrimaryCtxRetain(out var context, device));
        Handle = context;
        try
        {
            MakeCurrent();
            // Non-blocking: the stream does not serialise with the legacy default stream, which other code in the
            // process may use; everything here is ordered by this one stream instead.
            Check(cuStreamCreate(out var stream, CU_STREAM_NON_BLOCKING));
            Stream = stream;
            Cublas.Check(Cublas.cublasCreate_v2(out var cublas));
            CublasHandle = cublas;
            Cublas.Check(Cublas.cublasSetStream_v2(cublas, stream));
            Random = new CurandGenerator(stream);
        }
        catch
        {
            Release();
            throw;
        }
    }

    /// <summary>Opens device <paramref name="ordinal"/> (0 = first GPU).</summary>
    /// <exception cref="DllNotFoundException">No CUDA driver is installed.</exception>
    /// <exception cref="CudaException">No such device, or the driver failed.</exception>
    public static CudaContext Create(int ordinal = 0) => new(ordinal);

    /// <summary>The number of CUDA devices; 0 when the driver is present but sees no GPU.</summary>
    /// <exception cref="DllNotFoundException">No CUDA driver is installed.</exception>
    public static int DeviceCount()
    {
        var init = cuInit(0);
        if (init == CUresult.CUDA_ERROR_NO_DEVICE) return 0;
        Check(init, nameof(cuInit));
        Check(cuDeviceGetCount(out int count));
        return count;
    }

    public int DeviceOrdinal { get; }
    public string DeviceName { get; }
    public ComputeCapability ComputeCapability { get; }
    public int MultiprocessorCount { get; }
    public int MaxThreadsPerBlock { get; }
    public int MaxGridDimY { get; }
    /// <summary>Device memory in bytes.</summary>
    public long TotalMemory { get; }
    /// <summary>The driver's CUDA version, e.g. 13000 for 13.0.</summary>
    public int DriverVersion { get; }

    internal nint Handle { get; }
    internal nint Stream { get; }
    internal nint CublasHandle { get; }
    internal CurandGenerator Random { get; }

    /// <summary>Lets cuBLAS run float32 GEMMs on TF32 tensor cores (10-bit mantissa inputs, float32 accumulation):
    /// several times faster on Ampere and later, at about 1e-3 relative error. Off by default: results then match
    /// the CPU backend to float32 rounding.</summary>
    public bool AllowTf32
    {
        get;
        set
        {
            MakeCurrent();
            Cublas.Check(Cublas.cublasSetMathMode(CublasHandle, value ? cublasMath_t.CUBLAS_TF32_TENSOR_OP_MATH : cublasMath_t.CUBLAS_DEFAULT_MATH));
            field = value;
        }
    }

    /// <summary>Free and total device memory in bytes, as the driver reports them (other processes included).</summary>
    public (long Free, long Total) MemoryInfo()
    {
        MakeCurrent();
        Check(cuMemGetInfo_v2(out var free, out var total));
        return ((long)free, (long)total);
    }

    /// <summary>Waits for everything queued on the stream.</summary>
    public void Synchronize()
    {
        MakeCurrent();
        Check(cuStreamSynchronize(Stream));
    }

    /// <summary>Makes this context current on the calling thread.</summary>
    public void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (currentOnThisThread == this) return;
        Check(cuCtxSetCurrent(Handle));
        currentOnThisThread = this;
    }

    /// <summary>Queues a copy of host data to device memory. Returns once the data has been read from
    /// <paramref name="source"/> (CUDA stages pageable memory before returning), so the span may be reused.</summary>
    public void CopyToDevice<T>(ReadOnlySpan<T> source, nint destination) where T : unmanaged
    {
        if (source.IsEmpty) return;
        MakeCurrent();
        fixed (T* s = source)
            Check(cuMemcpyHtoDAsync_v2(destination, s, (nuint)(source.Length * sizeof(T)), Stream));
    }

    /// <summary>Copies device memory to the host after all queued work; returns when the data is there.</summary>
    public void CopyToHost<T>(nint source, Span<T> destination) where T : unmanaged
    {
        if (destination.IsEmpty) return;
        MakeCurrent();
        fixed (T* d = destination)
        {
            Check(cuMemcpyDtoHAsync_v2(d, source, (nuint)(destination.Length * sizeof(T)), Stream));
            Check(cuStreamSynchronize(Stream));
        }
    }

    /// <summary>Queues a device-to-device copy of <paramref name="bytes"/> bytes.</summary>
    public void CopyDeviceToDevice(nint destination, nint source, long bytes)
    {
        if (bytes == 0) return;
        MakeCurrent();
        Check(cuMemcpyDtoDAsync_v2(destination, source, (nuint)bytes, Stream));
    }

    /// <summary>Queues setting <paramref name="count"/> 32-bit words to <paramref name="value"/>.</summary>
    public void SetWords(nint destination, uint value, long count)
    {
        if (count == 0) return;
        MakeCurrent();
        Check(cuMemsetD32Async(destination, value, (nuint)count, Stream));
    }

    public override string ToString() =>
        $"{DeviceName} (device {DeviceOrdinal}, compute capability {ComputeCapability}, {MultiprocessorCount} SMs, " +
        $"{TotalMemory / (1024.0 * 1024 * 1024):F1} GiB, driver {DriverVersion / 1000}.{DriverVersion % 1000 / 10})";

    /// <summary>Waits for queued work, then releases the generator, the cuBLAS handle, the stream and the primary context.</summary>
    public void Dispose()
    {
        if (disposed) return;
        MakeCurrent();
        Check(cuStreamSynchronize(Stream));
        Release();
    }

    void Release()
    {
        if (currentOnThisThread != this) Check(cuCtxSetCurrent(Handle));
        Random?.Dispose();
        if (CublasHandle != 0) Cublas.Check(Cublas.cublasDestroy_v2(CublasHandle));
        if (Stream != 0) Check(cuStreamDestroy_v2(Stream));
        disposed = true;
        currentOnThisThread = null;
        Check(cuDevicePrimaryCtxRelease_v2(device));
    }

    int Attribute(CUdevice_attribute attribute)
    {
        Check(cuDeviceGetAttribute(out int value, attribute, device));
        return value;
    }

    static string ReadName(int device)
    {
        var name = stackalloc byte[256];
        Check(cuDeviceGetName(name, 256, device));
        return Marshal.PtrToStringUTF8((nint)name) ?? $"CUDA device {device}";
    }
}

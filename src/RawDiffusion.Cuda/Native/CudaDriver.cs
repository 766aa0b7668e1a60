using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawDiffusion.Cuda.Native;

/// <summary>CUresult: only the codes the code branches on are named; cuGetErrorName names the rest.</summary>
internal enum CUresult
{
    CUDA_SUCCESS = 0,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NO_DEVICE = 100,
}

internal enum CUdevice_attribute
{
    CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1,
    CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y = 6,
    CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
}

/// <summary>The CUDA driver API (libcuda), names and argument order as in cuda.h. Handles (CUcontext, CUmodule,
/// CUfunction, CUstream, CUevent) and device pointers (CUdeviceptr) are <c>nint</c>; CUdevice is an int ordinal
/// handle. The _v2 names are the symbols cuda.h's macros resolve to.</summary>
internal static unsafe partial class CudaDriver
{
    const string Lib = CudaLibraries.Driver;

    public const uint CU_STREAM_NON_BLOCKING = 1;
    public const uint CU_EVENT_DEFAULT = 0;

    [LibraryImport(Lib)] public static partial CUresult cuInit(uint flags);
    [LibraryImport(Lib)] public static partial CUresult cuDriverGetVersion(out int driverVersion);
    [LibraryImport(Lib)] public static partial CUresult cuGetErrorName(CUresult error, out byte* name);

    [LibraryImport(Lib)] public static partial CUresult cuDeviceGetCount(out int count);
    [LibraryImport(Lib)] public static partial CUresult cuDeviceGet(out int device, int ordinal);
    [LibraryImport(Lib)] public static partial CUresult cuDeviceGetAttribute(out int value, CUdevice_attribute attribute, int device);
    [LibraryImport(Lib)] public static partial CUresult cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(Lib)] public static partial CUresult cuDeviceTotalMem_v2(out nuint bytes, int device);

    [LibraryImport(Lib)] public static partial CUresult cuDevicePrimaryCtxRetain(out nint context, int device);
    [LibraryImport(Lib)] public static partial CUresult cuDevicePrimaryCtxRelease_v2(int device);
    [LibraryImport(Lib)] public static partial CUresult cuCtxSetCurrent(nint context);
    [LibraryImport(Lib)] public static partial CUresult cuCtxSynchronize();

    [LibraryImport(Lib)] public static partial CUresult cuModuleLoadData(out nint module, void* image);
    [LibraryImport(Lib)] public static partial CUresult cuModuleUnload(nint module);
    [LibraryImport(Lib)] public static partial CUresult cuModuleGetFunction(out nint function, nint module, byte* name);
    [LibraryImport(Lib)]
    public static partial CUresult cuLaunchKernel(nint function, uint gridDimX, uint gridDimY, uint gridDimZ,
        uint blockDimX, uint blockDimY, uint blockDimZ, uint sharedMemBytes, nint stream, void** kernelParams, void** extra);

    [LibraryImport(Lib)] public static partial CUresult cuMemAlloc_v2(out nint devicePointer, nuint bytes);
    [LibraryImport(Lib)] public static partial CUresult cuMemFree_v2(nint devicePointer);
    [LibraryImport(Lib)] public static partial CUresult cuMemGetInfo_v2(out nuint free, out nuint total);

    [LibraryImport(Lib)] public static partial CUresult cuMemcpyHtoD_v2(nint destination, void* source, nuint bytes);
    [LibraryImport(Lib)] public static partial CUresult cuMemcpyDtoH_v2(void* destination, nint source, nuint bytes);
    [LibraryImport(Lib)] public static partial CUresult cuMemcpyDtoD_v2(nint destination, nint source, nuint bytes);
    [LibraryImport(Lib)] public static partial CUresult cuMemcpyHtoDAsync_v2(nint destination, void* source, nuint bytes, nint stream);
    [LibraryImport(Lib)] public static partial CUresult cuMemcpyDtoHAsync_v2(void* destination, nint source, nuint bytes, nint stream);
    [LibraryImport(Lib)] public static partial CUresult cuMemcpyDtoDAsync_v2(nint destination, nint source, nuint bytes, nint stream);
    [LibraryImport(Lib)] public static partial CUresult cuMemsetD32_v2(nint destination, uint value, nuint count);
    [LibraryImport(Lib)] public static partial CUresult cuMemsetD32Async(nint destination, uint value, nuint count, nint stream);

    [LibraryImport(Lib)] public static partial CUresult cuStreamCreate(out nint stream, uint flags);
    [LibraryImport(Lib)] public static partial CUresult cuStreamDestroy_v2(nint stream);
    [LibraryImport(Lib)] public static partial CUresult cuStreamSynchronize(nint stream);

    [LibraryImport(Lib)] public static partial CUresult cuEventCreate(out nint @event, uint flags);
    [LibraryImport(Lib)] public static partial CUresult cuEventRecord(nint @event, nint stream);
    [LibraryImport(Lib)] public static partial CUresult cuEventSynchronize(nint @event);
    [LibraryImport(Lib)] public static partial CUresult cuEventElapsedTime(out float milliseconds, nint start, nint end);
    [LibraryImport(Lib)] public static partial CUresult cuEventDestroy_v2(nint @event);

    // CUDA graphs: stream capture (relaxed mode, so the caching allocator may still reserve memory while a graph is
    // captured), instantiation and replay. cuStreamBeginCapture and cuGraphInstantiate are macros for these symbols.
    public const int CU_STREAM_CAPTURE_MODE_RELAXED = 2;
    [LibraryImport(Lib)] public static partial CUresult cuStreamBeginCapture_v2(nint stream, int mode);
    [LibraryImport(Lib)] public static partial CUresult cuStreamEndCapture(nint stream, out nint graph);
    [LibraryImport(Lib)] public static partial CUresult cuGraphGetNodes(nint graph, nint* nodes, out nuint count);
    [LibraryImport(Lib)] public static partial CUresult cuGraphInstantiateWithFlags(out nint graphExec, nint graph, ulong flags);
    [LibraryImport(Lib)] public static partial CUresult cuGraphLaunch(nint graphExec, nint stream);
    [LibraryImport(Lib)] public static partial CUresult cuGraphExecDestroy(nint graphExec);
    [LibraryImport(Lib)] public static partial CUresult cuGraphDestroy(nint graph);

    /// <summary>Throws a <see cref="CudaException"/> naming the call and the error unless the status is CUDA_SUCCESS.</summary>
    public static void Check(CUresult result, [CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result != CUresult.CUDA_SUCCESS) throw Error(result, call);
    }

    public static CudaException Error(CUresult result, string call) =>
        new("CUDA driver", CudaException.CallName(call), (int)result, ErrorName(result));

    /// <summary>cuGetErrorName, or the number when the driver does not know the code.</summary>
    public static string ErrorName(CUresult result) =>
        cuGetErrorName(result, out var name) == CUresult.CUDA_SUCCESS && name != null
            ? Marshal.PtrToStringUTF8((nint)name) ?? $"CUresult {(int)result}"
            : $"CUresult {(int)result}";
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawDiffusion.Cuda.Native;

internal enum nvrtcResult
{
    NVRTC_SUCCESS = 0,
    NVRTC_ERROR_INVALID_OPTION = 5,
    NVRTC_ERROR_COMPILATION = 6,
}

/// <summary>NVRTC (libnvrtc), names as in nvrtc.h: compiles CUDA C++ to PTX or CUBIN at run time, without a GPU.
/// Strings are NUL-terminated UTF-8 byte pointers.</summary>
internal static unsafe partial class Nvrtc
{
    const string Lib = CudaLibraries.Nvrtc;

    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcVersion(out int major, out int minor);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetNumSupportedArchs(out int numArchs);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetSupportedArchs(int* supportedArchs);
    [LibraryImport(Lib)] public static partial byte* nvrtcGetErrorString(nvrtcResult result);

    [LibraryImport(Lib)]
    public static partial nvrtcResult nvrtcCreateProgram(out nint program, byte* source, byte* name,
        int numHeaders, byte** headers, byte** includeNames);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcCompileProgram(nint program, int numOptions, byte** options);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcDestroyProgram(ref nint program);

    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetCUBINSize(nint program, out nuint cubinSizeRet);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetCUBIN(nint program, byte* cubin);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetPTXSize(nint program, out nuint ptxSizeRet);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetPTX(nint program, byte* ptx);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetProgramLogSize(nint program, out nuint logSizeRet);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetProgramLog(nint program, byte* log);

    /// <summary>Throws a <see cref="CudaException"/> naming the call and the error unless the result is NVRTC_SUCCESS.</summary>
    public static void Check(nvrtcResult result, [CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result != nvrtcResult.NVRTC_SUCCESS) throw Error(result, call);
    }

    public static CudaException Error(nvrtcResult result, string call, string? detail = null) =>
        new("NVRTC", CudaException.CallName(call), (int)result, ErrorString(result), detail);

    public static string ErrorString(nvrtcResult result) =>
        Marshal.PtrToStringUTF8((nint)nvrtcGetErrorString(result)) ?? $"nvrtcResult {(int)result}";
}

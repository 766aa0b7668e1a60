using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawDiffusion.Cuda.Native;

internal enum curandStatus_t
{
    CURAND_STATUS_SUCCESS = 0,
    CURAND_STATUS_VERSION_MISMATCH = 100,
    CURAND_STATUS_NOT_INITIALIZED = 101,
    CURAND_STATUS_ALLOCATION_FAILED = 102,
    CURAND_STATUS_TYPE_ERROR = 103,
    CURAND_STATUS_OUT_OF_RANGE = 104,
    CURAND_STATUS_LENGTH_NOT_MULTIPLE = 105,
    CURAND_STATUS_DOUBLE_PRECISION_REQUIRED = 106,
    CURAND_STATUS_LAUNCH_FAILURE = 201,
    CURAND_STATUS_PREEXISTING_FAILURE = 202,
    CURAND_STATUS_INITIALIZATION_FAILED = 203,
    CURAND_STATUS_ARCH_MISMATCH = 204,
    CURAND_STATUS_INTERNAL_ERROR = 999,
}

internal enum curandRngType_t
{
    CURAND_RNG_PSEUDO_PHILOX4_32_10 = 161,
}

/// <summary>cuRAND host API (libcurand), names as in curand.h. Output pointers are device pointers; counts are
/// element counts. The pseudo-random normal generators need an even count (CurandGenerator handles odd ones).</summary>
internal static partial class Curand
{
    const string Lib = CudaLibraries.Curand;

    [LibraryImport(Lib)] public static partial curandStatus_t curandCreateGenerator(out nint generator, curandRngType_t rngType);
    [LibraryImport(Lib)] public static partial curandStatus_t curandDestroyGenerator(nint generator);
    [LibraryImport(Lib)] public static partial curandStatus_t curandSetPseudoRandomGeneratorSeed(nint generator, ulong seed);
    [LibraryImport(Lib)] public static partial curandStatus_t curandSetGeneratorOffset(nint generator, ulong offset);
    [LibraryImport(Lib)] public static partial curandStatus_t curandSetStream(nint generator, nint stream);
    [LibraryImport(Lib)] public static partial curandStatus_t curandGenerateUniform(nint generator, nint outputPtr, nuint num);
    [LibraryImport(Lib)] public static partial curandStatus_t curandGenerateNormal(nint generator, nint outputPtr, nuint n, float mean, float stddev);
    [LibraryImport(Lib)] public static partial curandStatus_t curandGenerateUniformDouble(nint generator, nint outputPtr, nuint num);
    [LibraryImport(Lib)] public static partial curandStatus_t curandGenerateNormalDouble(nint generator, nint outputPtr, nuint n, double mean, double stddev);

    /// <summary>Throws a <see cref="CudaException"/> naming the call and the status unless it is CURAND_STATUS_SUCCESS.</summary>
    public static void Check(curandStatus_t status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != curandStatus_t.CURAND_STATUS_SUCCESS) throw Error(status, call);
    }

    public static CudaException Error(curandStatus_t status, string call) =>
        new("cuRAND", CudaException.CallName(call), (int)status,
            Enum.IsDefined(status) ? status.ToString() : $"curandStatus_t {(int)status}");
}

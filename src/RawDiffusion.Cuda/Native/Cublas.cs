using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawDiffusion.Cuda.Native;

internal enum cublasStatus_t
{
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_ALLOC_FAILED = 3,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_ARCH_MISMATCH = 8,
    CUBLAS_STATUS_MAPPING_ERROR = 11,
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
    CUBLAS_STATUS_INTERNAL_ERROR = 14,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
    CUBLAS_STATUS_LICENSE_ERROR = 16,
}

internal enum cublasOperation_t
{
    CUBLAS_OP_N = 0,
    CUBLAS_OP_T = 1,
}

internal enum cublasMath_t
{
    CUBLAS_DEFAULT_MATH = 0,
    CUBLAS_TF32_TENSOR_OP_MATH = 3,
}

internal enum cudaDataType
{
    CUDA_R_32F = 0,
    CUDA_R_64F = 1,
}

internal enum cublasComputeType_t
{
    CUBLAS_COMPUTE_32F = 68,
    CUBLAS_COMPUTE_32F_FAST_TF32 = 77,
}

internal enum cublasGemmAlgo_t
{
    CUBLAS_GEMM_DEFAULT = -1,
}

/// <summary>cuBLAS v2 (libcublas), names as in cublas_api.h. cuBLAS is column-major: a row-major C = A·B is computed
/// as the column-major Cᵀ = Bᵀ·Aᵀ, i.e. pass B first and A second with m and n swapped (see CublasGemm).
/// Scalars (alpha, beta) are host pointers, the default pointer mode.</summary>
internal static unsafe partial class Cublas
{
    const string Lib = CudaLibraries.Cublas;

    [LibraryImport(Lib)] public static partial cublasStatus_t cublasCreate_v2(out nint handle);
    [LibraryImport(Lib)] public static partial cublasStatus_t cublasDestroy_v2(nint handle);
    [LibraryImport(Lib)] public static partial cublasStatus_t cublasSetStream_v2(nint handle, nint stream);
    [LibraryImport(Lib)] public static partial cublasStatus_t cublasSetMathMode(nint handle, cublasMath_t mode);

    [LibraryImport(Lib)]
    public static partial cublasStatus_t cublasSgemm_v2(nint handle, cublasOperation_t transa, cublasOperation_t transb,
        int m, int n, int k, float* alpha, nint A, int lda, nint B, int ldb, float* beta, nint C, int ldc);

    [LibraryImport(Lib)]
    public static partial cublasStatus_t cublasDgemm_v2(nint handle, cublasOperation_t transa, cublasOperation_t transb,
        int m, int n, int k, double* alpha, nint A, int lda, nint B, int ldb, double* beta, nint C, int ldc);

    [LibraryImport(Lib)]
    public static partial cublasStatus_t cublasSgemmStridedBatched(nint handle, cublasOperation_t transa, cublasOperation_t transb,
        int m, int n, int k, float* alpha, nint A, int lda, long strideA, nint B, int ldb, long strideB,
        float* beta, nint C, int ldc, long strideC, int batchCount);

    [LibraryImport(Lib)]
    public static partial cublasStatus_t cublasDgemmStridedBatched(nint handle, cublasOperation_t transa, cublasOperation_t transb,
        int m, int n, int k, double* alpha, nint A, int lda, long strideA, nint B, int ldb, long strideB,
        double* beta, nint C, int ldc, long strideC, int batchCount);

    [LibraryImport(Lib)]
    public static partial cublasStatus_t cublasGemmEx(nint handle, cublasOperation_t transa, cublasOperation_t transb,
        int m, int n, int k, void* alpha, nint A, cudaDataType Atype, int lda, nint B, cudaDataType Btype, int ldb,
        void* beta, nint C, cudaDataType Ctype, int ldc, cublasComputeType_t computeType, cublasGemmAlgo_t algo);

    [LibraryImport(Lib)]
    public static partial cublasStatus_t cublasGemmStridedBatchedEx(nint handle, cublasOperation_t transa, cublasOperation_t transb,
        int m, int n, int k, void* alpha, nint A, cudaDataType Atype, int lda, long strideA,
        nint B, cudaDataType Btype, int ldb, long strideB, void* beta,
        nint C, cudaDataType Ctype, int ldc, long strideC, int batchCount, cublasComputeType_t computeType, cublasGemmAlgo_t algo);

    /// <summary>Throws a <see cref="CudaException"/> naming the call and the status unless it is CUBLAS_STATUS_SUCCESS.</summary>
    public static void Check(cublasStatus_t status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != cublasStatus_t.CUBLAS_STATUS_SUCCESS) throw Error(status, call);
    }

    public static CudaException Error(cublasStatus_t status, string call) =>
        new("cuBLAS", CudaException.CallName(call), (int)status,
            Enum.IsDefined(status) ? status.ToString() : $"cublasStatus_t {(int)status}");
}

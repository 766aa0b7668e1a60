using RawDiffusion.Backends;
using RawDiffusion.Cuda.Kernels;
using RawDiffusion.Cuda.Native;
using static RawDiffusion.Cuda.Native.Cublas;

namespace RawDiffusion.Cuda;

/// <summary>Row-major strided-batched GEMM through cuBLAS (IBackend.Gemm's contract; TF32 when <see
/// cref="AllowTf32"/>is set). cuBLAS is column-major, and a row-major matrix read column-major is its transpose, so
/// the row-major C = op(A)·op(B) is computed as the column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: B is passed first and A second,
/// m and n swap, and each operand keeps its own transpose flag and leading dimension.</summary>
public sealed unsafe partial class CudaBackend
{
    public void Gemm(bool transA, bool transB, int m, int n, int k, double alpha,
                     DeviceBuffer a, long aOffset, int lda, long strideA,
                     DeviceBuffer b, long bOffset, int ldb, long strideB,
                     double beta, DeviceBuffer c, long cOffset, int ldc, long strideC, int batch)
    {
        var dtype = FloatingDType(c, nameof(Gemm));
        bool products = m > 0 && n > 0 && k > 0 && batch > 0;
        bool output = m > 0 && n > 0 && batch > 0;
        // Stored shapes: op(A) is m x k, so A is k x m when transposed; likewise B (k x n) and C (m x n).
        nint pa = At(a, aOffset, products ? MatrixExtent(transA ? k : m, transA ? m : k, lda, strideA, batch) : 0, dtype);
        nint pb = At(b, bOffset, products ? MatrixExtent(transB ? n : k, transB ? k : n, ldb, strideB, batch) : 0, dtype);
        nint pc = At(c, cOffset, output ? MatrixExtent(m, n, ldc, strideC, batch) : 0, dtype);
        Gemm(dtype, transA, transB, m, n, k, alpha, pa, lda, strideA, pb, ldb, strideB, beta, pc, ldc, strideC, batch);
    }

    /// <summary>Elements a batch of row-major rows x columns matrices reaches from its first element.</summary>
    static long MatrixExtent(int rows, int columns, int leadingDimension, long batchStride, int batch)
    {
        if (leadingDimension < columns)
            throw new ArgumentException($"a leading dimension of {leadingDimension} is less than the {columns} columns of a row-major matrix");
        return (batch - 1) * batchStride + (long)(rows - 1) * leadingDimension + columns;
    }

    public void Gemm(DType dtype, bool transA, bool transB, int m, int n, int k, double alpha,
                     nint a, int lda, long strideA, nint b, int ldb, long strideB,
                     double beta, nint c, int ldc, long strideC, int batch)
    {
        RequireFloating(dtype, nameof(Gemm));
        if (m < 0 || n < 0 || k < 0 || batch < 0) throw new ArgumentException($"GEMM dimensions m={m}, n={n}, k={k}, batch={batch} must not be negative");
        if (m == 0 || n == 0 || batch == 0) return;
        if (k == 0)
        {
            // cuBLAS would scale C by beta; the contract is C = beta·C (and beta = 0 never reads C).
            ScaleOutput(dtype, c, m, n, ldc, strideC, batch, beta);
            return;
        }
        context.MakeCurrent();
        var handle = context.CublasHandle;
        var opA = transA ? cublasOperation_t.CUBLAS_OP_T : cublasOperation_t.CUBLAS_OP_N;
        var opB = transB ? cublasOperation_t.CUBLAS_OP_T : cublasOperation_t.CUBLAS_OP_N;
        if (dtype == DType.Float64)
        {
            double alpha64 = alpha, beta64 = beta;
            if (batch == 1) Check(cublasDgemm_v2(handle, opB, opA, n, m, k, &alpha64, b, ldb, a, lda, &beta64, c, ldc));
            else Check(cublasDgemmStridedBatched(handle, opB, opA, n, m, k, &alpha64, b, ldb, strideB, a, lda, strideA, &beta64, c, ldc, strideC, batch));
            return;
        }
        float alpha32 = (float)alpha, beta32 = (float)beta;
        if (context.AllowTf32)
        {
            // The handle's math mode already allows TF32; naming the compute type as well keeps the precision of a
            // GEMM independent of that state.
            const cudaDataType f32 = cudaDataType.CUDA_R_32F;
            const cublasComputeType_t tf32 = cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_TF32;
            if (batch == 1)
                Check(cublasGemmEx(handle, opB, opA, n, m, k, &alpha32, b, f32, ldb, a, f32, lda, &beta32, c, f32, ldc,
                    tf32, cublasGemmAlgo_t.CUBLAS_GEMM_DEFAULT));
            else
                Check(cublasGemmStridedBatchedEx(handle, opB, opA, n, m, k, &alpha32, b, f32, ldb, strideB, a, f32, lda, strideA,
                    &beta32, c, f32, ldc, strideC, batch, tf32, cublasGemmAlgo_t.CUBLAS_GEMM_DEFAULT));
        }
        else if (batch == 1) Check(cublasSgemm_v2(handle, opB, opA, n, m, k, &alpha32, b, ldb, a, lda, &beta32, c, ldc));
        else Check(cublasSgemmStridedBatched(handle, opB, opA, n, m, k, &alpha32, b, ldb, strideB, a, lda, strideA, &beta32, c, ldc, strideC, batch));
    }

    void ScaleOutput(DType dtype, nint c, int m, int n, int ldc, long strideC, int batch, double beta)
    {
        int[] shape = [batch, m, n];
        long[] strides = [strideC, ldc, 1];
        if (beta == 0) Fill(dtype, c, shape, strides, 0);
        else Unary(Backends.UnaryOp.MulScalar, dtype, shape, c, strides, c, strides, beta);
    }
}

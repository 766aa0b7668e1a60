using RawDiffusion.Backends;

namespace RawDiffusion.Cuda;

/// <summary>Matrix products through cuBLAS (TF32 when <see cref="AllowTf32"/> is set).</summary>
public sealed partial class CudaBackend
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
        Primitives.Gemm(dtype, transA, transB, m, n, k, alpha, pa, lda, strideA, pb, ldb, strideB, beta, pc, ldc, strideC, batch);
    }

    /// <summary>Elements a batch of row-major rows x columns matrices reaches from its first element.</summary>
    static long MatrixExtent(int rows, int columns, int leadingDimension, long batchStride, int batch)
    {
        if (leadingDimension < columns)
            throw new ArgumentException($"a leading dimension of {leadingDimension} is less than the {columns} columns of a row-major matrix");
        return (batch - 1) * batchStride + (long)(rows - 1) * leadingDimension + columns;
    }
}

namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// Argument checks shared by every GEMM entry point, so that the managed kernel and the BLAS path
/// accept exactly the same inputs (CBLAS would otherwise print an xerbla message and return silently).
/// </summary>
internal static class GemmArguments
{
    public static void Validate<T>(
        bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, ReadOnlySpan<T> c, int ldc)
    {
        ValidateShape(transA, transB, m, n, k, lda, ldb, ldc);
        RequireLength(a.Length, MatrixLength(transA ? k : m, transA ? m : k, lda), nameof(a), nameof(lda));
        RequireLength(b.Length, MatrixLength(transB ? n : k, transB ? k : n, ldb), nameof(b), nameof(ldb));
        RequireLength(c.Length, MatrixLength(m, n, ldc), nameof(c), nameof(ldc));
        RequireDisjointOutput(a, b, c);
    }

    public static void ValidateBatched<T>(
        bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, long strideA, ReadOnlySpan<T> b, int ldb, long strideB,
        ReadOnlySpan<T> c, int ldc, long strideC, int batch)
    {
        ValidateShape(transA, transB, m, n, k, lda, ldb, ldc);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(strideA);
        ArgumentOutOfRangeException.ThrowIfNegative(strideB);
        ArgumentOutOfRangeException.ThrowIfNegative(strideC);

        long matrixA = MatrixLength(transA ? k : m, transA ? m : k, lda);
        long matrixB = MatrixLength(transB ? n : k, transB ? k : n, ldb);
        long matrixC = MatrixLength(m, n, ldc);
        // Batch items run concurrently, so two of them must never write the same element of C.
        if (batch > 1 && matrixC > 0 && strideC < matrixC)
        {
            throw new ArgumentException(
                $"strideC = {strideC} makes consecutive {m}x{n} outputs (ldc = {ldc}, {matrixC} elements each) overlap.",
                nameof(strideC));
        }

        RequireLength(a.Length, BatchLength(matrixA, strideA, batch), nameof(a), $"{nameof(lda)}, {nameof(strideA)} and {nameof(batch)}");
        RequireLength(b.Length, BatchLength(matrixB, strideB, batch), nameof(b), $"{nameof(ldb)}, {nameof(strideB)} and {nameof(batch)}");
        RequireLength(c.Length, BatchLength(matrixC, strideC, batch), nameof(c), $"{nameof(ldc)}, {nameof(strideC)} and {nameof(batch)}");
        RequireDisjointOutput(a, b, c);
    }

    /// <summary>Elements spanned by a row-major rows x cols matrix with leading dimension ld.</summary>
    public static long MatrixLength(int rows, int cols, int ld) =>
        rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;

    private static long BatchLength(long matrixLength, long stride, int batch) =>
        batch == 0 || matrixLength == 0 ? 0 : (batch - 1) * stride + matrixLength;

    private static void ValidateShape(bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        // CBLAS requires ld >= max(1, columns) even for empty matrices; requiring the same keeps both paths alike.
        RequireLeadingDimension(lda, transA ? m : k, nameof(lda));
        RequireLeadingDimension(ldb, transB ? k : n, nameof(ldb));
        RequireLeadingDimension(ldc, n, nameof(ldc));
    }

    private static void RequireLeadingDimension(int ld, int columns, string name)
    {
        if (ld < Math.Max(1, columns))
        {
            throw new ArgumentOutOfRangeException(name, ld, $"{name} must be at least max(1, {columns}) for a row-major matrix with {columns} columns.");
        }
    }

    private static void RequireLength(int actual, long required, string name, string layout)
    {
        if (actual < required)
        {
            throw new ArgumentException(
                $"{name} holds {actual} elements but the given shape and {layout} need at least {required}.", name);
        }
    }

    private static void RequireDisjointOutput<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> c)
    {
        // The kernels read A and B panel by panel while writing C, so aliasing would corrupt the result.
        if (c.Overlaps(a))
        {
            throw new ArgumentException("c must not overlap a.", nameof(c));
        }

        if (c.Overlaps(b))
        {
            throw new ArgumentException("c must not overlap b.", nameof(c));
        }
    }
}

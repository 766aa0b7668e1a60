namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// One already-validated GEMM call on pinned memory: <c>C = alpha * op(A) * op(B) + beta * C</c>, row-major.
/// Being a plain value lets the parallel drivers hand sub-problems to worker threads, which spans cannot.
/// </summary>
internal readonly unsafe struct GemmOperands<T>(
    bool transA, bool transB, int m, int n, int k,
    T alpha, T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
    where T : unmanaged
{
    public bool TransA { get; } = transA;
    public bool TransB { get; } = transB;
    public int M { get; } = m;
    public int N { get; } = n;
    public int K { get; } = k;
    public T Alpha { get; } = alpha;
    public T* A { get; } = a;
    public int Lda { get; } = lda;
    public T* B { get; } = b;
    public int Ldb { get; } = ldb;
    public T Beta { get; } = beta;
    public T* C { get; } = c;
    public int Ldc { get; } = ldc;

    /// <summary>2 m n k: the multiply-adds counted as two operations, as GFLOP/s figures do.</summary>
    public double Flops => 2.0 * M * N * K;

    /// <summary>The block of C at rows [row, row + rows) and columns [column, column + columns), with the matching A rows and B columns.</summary>
    public GemmOperands<T> Block(int row, int rows, int column, int columns)
    {
        T* aBlock = TransA ? A + row : A + (nint)row * Lda;
        T* bBlock = TransB ? B + (nint)column * Ldb : B + column;
        return new GemmOperands<T>(
            TransA, TransB, rows, columns, K, Alpha, aBlock, Lda, bBlock, Ldb, Beta, C + (nint)row * Ldc + column, Ldc);
    }

    /// <summary>Item <paramref name="index"/> of a strided batch whose first item is this one.</summary>
    public GemmOperands<T> BatchItem(int index, long strideA, long strideB, long strideC) =>
        new(TransA, TransB, M, N, K,
            Alpha, A + index * strideA, Lda, B + index * strideB, Ldb, Beta, C + index * strideC, Ldc);
}

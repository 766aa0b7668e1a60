namespace RawDiffusion.Backends;

/// <summary>The primitives every backend implements. Model code never calls these directly: it uses
/// <see cref="Tensor"/> operations, which are written in terms of these primitives and so run
/// unchanged on any backend. Partial so each primitive family lives in its own file.</summary>
public partial interface IBackend
{
    string Name { get; }

    /// <summary>What runs this backend's work, for reports, metrics and plots: the CPU model, threads and GEMM kernel,
    /// or the GPU's name, compute capability and driver.</summary>
    string Description { get; }

    /// <summary>Uninitialised memory for <paramref name="length"/> elements.</summary>
    DeviceBuffer Allocate(DType dtype, long length);

    void Upload<T>(ReadOnlySpan<T> source, DeviceBuffer destination, long offset) where T : unmanaged;
    void Download<T>(DeviceBuffer source, long offset, Span<T> destination) where T : unmanaged;

    /// <summary>Waits until queued work is done (a no-op on synchronous backends).</summary>
    void Synchronize();

    void Fill(StridedView destination, double value);

    /// <summary>destination = op(x). x has destination's shape (broadcast through 0 strides);
    /// destination may be strided (used to write into slices).</summary>
    void Unary(UnaryOp op, StridedView x, StridedView destination, double alpha = 0, double beta = 0);

    /// <summary>destination = op(a, b), all three of destination's shape (a and b broadcast through 0 strides).</summary>
    void Binary(BinaryOp op, StridedView a, StridedView b, StridedView destination, double alpha = 0, double beta = 0);

    /// <summary>Reduces the middle axis of a contiguous [outer, n, inner] block into a contiguous [outer, inner] block.</summary>
    void Reduce(ReduceOp op, DeviceBuffer x, long xOffset, DeviceBuffer destination, long destinationOffset, int outer, int n, int inner);

    /// <summary>Row-major strided-batched C = alpha * op(A) * op(B) + beta * C; beta = 0 never reads C.</summary>
    void Gemm(bool transA, bool transB, int m, int n, int k, double alpha,
              DeviceBuffer a, long aOffset, int lda, long strideA,
              DeviceBuffer b, long bOffset, int ldb, long strideB,
              double beta, DeviceBuffer c, long cOffset, int ldc, long strideC, int batch);

    /// <summary>Fills a contiguous range with Philox4x32-10 random numbers from (seed, counter): element i uses
    /// counter block counter + i / 4, so results do not depend on threading. Normal uses Box–Muller.</summary>
    void FillRandom(RandomDistribution distribution, DeviceBuffer destination, long offset, long length,
                    ulong seed, ulong counter, double a, double b);
}

public enum RandomDistribution
{
    /// <summary>Uniform on [a, b).</summary>
    Uniform,
    /// <summary>Normal with mean a and standard deviation b.</summary>
    Normal,
}

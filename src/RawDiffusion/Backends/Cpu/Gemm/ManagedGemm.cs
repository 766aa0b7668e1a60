using System.Numerics;
using System.Runtime.Intrinsics.X86;

namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// Managed row-major GEMM, <c>C = alpha * op(A) * op(B) + beta * C</c>, packed and cache-blocked in the
/// GotoBLAS/BLIS style, with the micro-kernel chosen for the instruction sets of this CPU.
/// op(A) is m x k (A stored k x m when <c>transA</c>), op(B) is k x n (B stored n x k when <c>transB</c>).
/// When beta is zero C is never read, so it may hold garbage or NaN.
/// </summary>
internal static unsafe class ManagedGemm
{
    private static readonly GemmBlocking Avx512Blocking = GemmBlocking.For<float, Avx512SgemmKernel>();
    private static readonly GemmBlocking Avx2Blocking = GemmBlocking.For<float, Avx2SgemmKernel>();
    private static readonly GemmBlocking PortableSingleBlocking = GemmBlocking.For<float, VectorMicroKernel<float>>();
    private static readonly GemmBlocking DoubleBlocking = GemmBlocking.For<double, VectorMicroKernel<double>>();
    private static readonly GemmBlocking Avx512DoubleBlocking = GemmBlocking.For<double, Avx512DgemmKernel>();

    /// <summary>The fastest single-precision kernel this CPU supports.</summary>
    public static SgemmKernelKind BestSgemmKernel { get; } =
        Avx512F.IsSupported ? SgemmKernelKind.Avx512
        : Avx2.IsSupported && Fma.IsSupported ? SgemmKernelKind.Avx2Fma
        : SgemmKernelKind.PortableVector;

    public static bool IsSupported(SgemmKernelKind kernel) => kernel switch
    {
        SgemmKernelKind.Avx512 => Avx512F.IsSupported,
        SgemmKernelKind.Avx2Fma => Avx2.IsSupported && Fma.IsSupported,
        SgemmKernelKind.PortableVector => true,
        _ => throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "Unknown kernel."),
    };

    public static string Describe(SgemmKernelKind kernel) => kernel switch
    {
        SgemmKernelKind.Avx512 => "managed AVX-512 kernel",
        SgemmKernelKind.Avx2Fma => "managed AVX2+FMA kernel",
        SgemmKernelKind.PortableVector => $"managed Vector<float> kernel ({Vector<float>.Count} lanes)",
        _ => throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "Unknown kernel."),
    };

    public static string Description => Describe(BestSgemmKernel);

    public static void Sgemm(
        bool transA, bool transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc) =>
        Sgemm(BestSgemmKernel, GemmThreading.MaxThreads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    public static void Dgemm(
        bool transA, bool transB, int m, int n, int k,
        double alpha, ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb,
        double beta, Span<double> c, int ldc)
    {
        GemmArguments.Validate<double>(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        fixed (double* aPointer = a)
        fixed (double* bPointer = b)
        fixed (double* cPointer = c)
        {
            var operands = new GemmOperands<double>(transA, transB, m, n, k, alpha, aPointer, lda, bPointer, ldb, beta, cPointer, ldc);
            Dgemm(operands, GemmThreading.MaxThreads);
        }
    }

    /// <summary>Sgemm with an explicit kernel and thread limit, for tests, benchmarks and batched callers.</summary>
    public static void Sgemm(
        SgemmKernelKind kernel, int maxThreads, bool transA, bool transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        GemmArguments.Validate<float>(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        fixed (float* aPointer = a)
        fixed (float* bPointer = b)
        fixed (float* cPointer = c)
        {
            var operands = new GemmOperands<float>(transA, transB, m, n, k, alpha, aPointer, lda, bPointer, ldb, beta, cPointer, ldc);
            Sgemm(kernel, operands, maxThreads);
        }
    }

    /// <summary>Runs already-validated operands on the given kernel with its default blocking.</summary>
    public static void Sgemm(SgemmKernelKind kernel, in GemmOperands<float> operands, int maxThreads)
    {
        int threads = GemmThreading.ThreadsFor(operands.Flops, maxThreads);
        switch (kernel)
        {
            case SgemmKernelKind.Avx512:
                RequireSupported(kernel);
                GemmDriver<float, Avx512SgemmKernel>.Multiply(operands, Avx512Blocking, threads);
                break;
            case SgemmKernelKind.Avx2Fma:
                RequireSupported(kernel);
                GemmDriver<float, Avx2SgemmKernel>.Multiply(operands, Avx2Blocking, threads);
                break;
            default:
                GemmDriver<float, VectorMicroKernel<float>>.Multiply(operands, PortableSingleBlocking, threads);
                break;
        }
    }

    /// <summary>Runs already-validated double-precision operands.</summary>
    public static void Dgemm(in GemmOperands<double> operands, int maxThreads)
    {
        int threads = GemmThreading.ThreadsFor(operands.Flops, maxThreads);
        if (Avx512F.IsSupported)
        {
            GemmDriver<double, Avx512DgemmKernel>.Multiply(operands, Avx512DoubleBlocking, threads);
        }
        else
        {
            GemmDriver<double, VectorMicroKernel<double>>.Multiply(operands, DoubleBlocking, threads);
        }
    }

    private static void RequireSupported(SgemmKernelKind kernel)
    {
        if (!IsSupported(kernel))
        {
            throw new PlatformNotSupportedException($"The {Describe(kernel)} needs instructions this CPU lacks.");
        }
    }
}

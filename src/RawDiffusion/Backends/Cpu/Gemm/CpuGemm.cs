using System.Numerics;
using System.Runtime.CompilerServices;

namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// Row-major GEMM for the CPU backend, <c>C = alpha * op(A) * op(B) + beta * C</c>, single and strided-batched,
/// run by the managed kernel or by the system BLAS according to <see cref="Provider"/>.
/// Arguments follow <see cref="ManagedGemm"/>; item i of a batch starts at offset i * stride in each span.
/// </summary>
internal static unsafe class CpuGemm
{
    private const int ProviderNotRead = -1;

    /// <summary>With this many items per core, whole items balance well across cores even when sizes are equal but timings vary.</summary>
    private const int ItemsPerThreadForBatchParallelism = 4;

    // An int rather than a nullable enum so that reads and writes are atomic.
    private static int providerValue = ProviderNotRead;

    /// <summary>
    /// The provider in use. Starts from the environment variable <c>RAWDIFFUSION_GEMM</c> (auto, managed or blas;
    /// unset means auto), read at first use. Setting <see cref="GemmProvider.Blas"/> without a loadable BLAS throws.
    /// </summary>
    public static GemmProvider Provider
    {
        get
        {
            int value = Volatile.Read(ref providerValue);
            if (value == ProviderNotRead)
            {
                // Only fill in the environment's choice if nobody set a provider meanwhile.
                int fromEnvironment = (int)GemmProviderSetting.FromEnvironment();
                int previous = Interlocked.CompareExchange(ref providerValue, fromEnvironment, ProviderNotRead);
                value = previous == ProviderNotRead ? fromEnvironment : previous;
            }

            return (GemmProvider)value;
        }

        set
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown GEMM provider.");
            }

            if (value == GemmProvider.Blas && !Blas.IsAvailable)
            {
                throw new InvalidOperationException(Blas.NotFoundMessage);
            }

            Volatile.Write(ref providerValue, (int)value);
        }
    }

    /// <summary>What actually runs, e.g. "managed AVX-512 kernel" or "OpenBLAS 0.3.21, Haswell kernels (libopenblas.so.0)".</summary>
    public static string ActiveProviderDescription => UsesBlas() ? Blas.Description : ManagedGemm.Description;

    public static void Sgemm(
        bool transA, bool transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        GemmArguments.Validate<float>(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        fixed (float* aPointer = a)
        fixed (float* bPointer = b)
        fixed (float* cPointer = c)
        {
            RunBatch(new GemmOperands<float>(transA, transB, m, n, k, alpha, aPointer, lda, bPointer, ldb, beta, cPointer, ldc), 0, 0, 0, 1);
        }
    }

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
            RunBatch(new GemmOperands<double>(transA, transB, m, n, k, alpha, aPointer, lda, bPointer, ldb, beta, cPointer, ldc), 0, 0, 0, 1);
        }
    }

    /// <summary>
    /// <see cref="Dgemm"/> on the calling thread only (the managed kernel; a BLAS keeps its own threading), for callers
    /// that hand out many products across threads themselves.
    /// </summary>
    public static void DgemmOnThisThread(
        bool transA, bool transB, int m, int n, int k,
        double alpha, ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb,
        double beta, Span<double> c, int ldc)
    {
        GemmArguments.Validate<double>(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        if (m == 0 || n == 0)
        {
            return;
        }
        fixed (double* aPointer = a)
        fixed (double* bPointer = b)
        fixed (double* cPointer = c)
        {
            Run(new GemmOperands<double>(transA, transB, m, n, k, alpha, aPointer, lda, bPointer, ldb, beta, cPointer, ldc), UsesBlas(), maxThreads: 1);
        }
    }

    public static void SgemmBatched(
        bool transA, bool transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC, int batch)
    {
        GemmArguments.ValidateBatched<float>(transA, transB, m, n, k, a, lda, strideA, b, ldb, strideB, c, ldc, strideC, batch);
        fixed (float* aPointer = a)
        fixed (float* bPointer = b)
        fixed (float* cPointer = c)
        {
            var first = new GemmOperands<float>(transA, transB, m, n, k, alpha, aPointer, lda, bPointer, ldb, beta, cPointer, ldc);
            RunBatch(first, strideA, strideB, strideC, batch);
        }
    }

    public static void DgemmBatched(
        bool transA, bool transB, int m, int n, int k,
        double alpha, ReadOnlySpan<double> a, int lda, long strideA, ReadOnlySpan<double> b, int ldb, long strideB,
        double beta, Span<double> c, int ldc, long strideC, int batch)
    {
        GemmArguments.ValidateBatched<double>(transA, transB, m, n, k, a, lda, strideA, b, ldb, strideB, c, ldc, strideC, batch);
        fixed (double* aPointer = a)
        fixed (double* bPointer = b)
        fixed (double* cPointer = c)
        {
            var first = new GemmOperands<double>(transA, transB, m, n, k, alpha, aPointer, lda, bPointer, ldb, beta, cPointer, ldc);
            RunBatch(first, strideA, strideB, strideC, batch);
        }
    }

    private static bool UsesBlas() => Provider switch
    {
        GemmProvider.Managed => false,
        GemmProvider.Blas => Blas.IsAvailable ? true : throw new InvalidOperationException(Blas.NotFoundMessage),
        // With AVX-512 the managed kernel beats the BLAS builds Debian ships (OpenBLAS 0.3.21 runs its AVX2 kernels on
        // such CPUs): 385 vs 198 GFLOP/s at n = 1024 on the 2-core EPYC, docs/bench/cpu.md. Elsewhere prefer the BLAS.
        _ => Blas.IsAvailable && ManagedGemm.BestSgemmKernel != SgemmKernelKind.Avx512,
    };

    private static void RunBatch<T>(GemmOperands<T> first, long strideA, long strideB, long strideC, int batch)
        where T : unmanaged, INumberBase<T>
    {
        if (batch == 0 || first.M == 0 || first.N == 0)
        {
            return;
        }

        bool useBlas = UsesBlas();
        int maxThreads = GemmThreading.MaxThreads;
        // Whole items side by side keep every core busy without the cost of splitting each product (hand-offs,
        // repacked operands). That is the better choice when an item is too small to occupy every core on its own,
        // and whenever there are enough items for the cores to finish at about the same time.
        bool itemsTooSmallToSplit = GemmThreading.ThreadsFor(first.Flops, maxThreads) < maxThreads;
        if (batch > 1 && (itemsTooSmallToSplit || batch >= ItemsPerThreadForBatchParallelism * maxThreads))
        {
            Parallel.For(0, batch, new ParallelOptions { MaxDegreeOfParallelism = maxThreads },
                item => Run(first.BatchItem(item, strideA, strideB, strideC), useBlas, maxThreads: 1));
            return;
        }

        for (int item = 0; item < batch; item++)
        {
            Run(first.BatchItem(item, strideA, strideB, strideC), useBlas, maxThreads);
        }
    }

    private static void Run<T>(GemmOperands<T> op, bool useBlas, int maxThreads)
        where T : unmanaged, INumberBase<T>
    {
        // Degenerate products are handled here so that no library's quirks for k = 0 or alpha = 0 matter.
        if (op.K == 0 || T.IsZero(op.Alpha))
        {
            GemmScaling.ScaleC(op.C, op.M, op.N, op.Ldc, op.Beta);
        }
        else if (typeof(T) == typeof(float))
        {
            ref GemmOperands<float> single = ref Unsafe.As<GemmOperands<T>, GemmOperands<float>>(ref op);
            if (useBlas)
            {
                Blas.Sgemm(single);
            }
            else
            {
                ManagedGemm.Sgemm(ManagedGemm.BestSgemmKernel, single, maxThreads);
            }
        }
        else
        {
            ref GemmOperands<double> @double = ref Unsafe.As<GemmOperands<T>, GemmOperands<double>>(ref op);
            if (useBlas)
            {
                Blas.Dgemm(@double);
            }
            else
            {
                ManagedGemm.Dgemm(@double, maxThreads);
            }
        }
    }
}

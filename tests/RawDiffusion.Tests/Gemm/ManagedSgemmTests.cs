using RawDiffusion.Backends.Cpu;

namespace RawDiffusion.Tests.Gemm;

public class ManagedSgemmTests
{
    // Kernel names rather than the internal enum: theory parameters must be public types.
    public static TheoryData<string> Kernels => new(Enum.GetNames<SgemmKernelKind>());

    public static TheoryData<string, bool, bool> KernelsAndTranspositions
    {
        get
        {
            var data = new TheoryData<string, bool, bool>();
            foreach (string kernel in Enum.GetNames<SgemmKernelKind>())
            {
                foreach (bool transA in new[] { false, true })
                {
                    foreach (bool transB in new[] { false, true })
                    {
                        data.Add(kernel, transA, transB);
                    }
                }
            }

            return data;
        }
    }

    // Exact tiles of every kernel, one-off tails on each side, primes, vectors and a degenerate depth of 1.
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (1, 70, 3), (70, 1, 9), (5, 7, 1), (6, 16, 8), (12, 32, 16), (13, 33, 17), (11, 31, 64),
        (24, 64, 37), (31, 37, 41), (47, 53, 2), (61, 67, 71),
    ];

    [Theory]
    [MemberData(nameof(KernelsAndTranspositions))]
    public void MatchesReferenceOnTailShapes(string kernelName, bool transA, bool transB)
    {
        SgemmKernelKind kernel = SupportedKernel(kernelName);
        int seed = 0;
        foreach (var (m, n, k) in Shapes)
        {
            var problem = new GemmCase(transA, transB, m, n, k, Alpha: 1, Beta: 0, Seed: ++seed);
            SgemmRunner.AssertManagedMatches(problem, kernel, maxThreads: 1);
        }
    }

    [Theory]
    [MemberData(nameof(KernelsAndTranspositions))]
    public void HandlesPaddedLeadingDimensionsAlphaAndBeta(string kernelName, bool transA, bool transB)
    {
        SgemmKernelKind kernel = SupportedKernel(kernelName);
        SgemmRunner.AssertManagedMatches(
            new GemmCase(transA, transB, 29, 45, 23, Alpha: -0.75, Beta: 0.5, PadA: 3, PadB: 5, PadC: 7, Seed: 11), kernel, maxThreads: 1);
        SgemmRunner.AssertManagedMatches(
            new GemmCase(transA, transB, 18, 40, 9, Alpha: 2, Beta: 1, PadA: 1, PadB: 2, PadC: 1, Seed: 12), kernel, maxThreads: 1);
        SgemmRunner.AssertManagedMatches(
            new GemmCase(transA, transB, 17, 19, 33, Alpha: 1.5, Beta: 0, PadA: 2, PadB: 1, PadC: 4, Seed: 13), kernel, maxThreads: 1);
    }

    [Theory]
    [MemberData(nameof(KernelsAndTranspositions))]
    public void LargeProblemSplitAcrossThreadsMatchesReference(string kernelName, bool transA, bool transB)
    {
        SgemmKernelKind kernel = SupportedKernel(kernelName);
        Assert.Equal(2, GemmThreading.ThreadsFor(2.0 * 300 * 257 * 129, 2));
        SgemmRunner.AssertManagedMatches(
            new GemmCase(transA, transB, 300, 257, 129, Alpha: 1, Beta: 0.25, PadC: 3, Seed: 21), kernel, maxThreads: 2);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void SeveralCacheBlocksInEveryDimensionMatchReference(string kernelName)
    {
        SgemmKernelKind kernel = SupportedKernel(kernelName);
        // Tiny blocks force several rank-kc updates (beta applied only by the first), several A blocks and several
        // B blocks, with partial blocks at every edge, on one thread and on several.
        int nr = kernel switch
        {
            SgemmKernelKind.Avx512 => 32,
            SgemmKernelKind.Avx2Fma => 16,
            _ => 2 * System.Numerics.Vector<float>.Count,
        };
        var blocking = new GemmBlocking(Kc: 7, Mc: kernel == SgemmKernelKind.Avx512 ? 24 : 12, Nc: 2 * nr);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            foreach (bool transA in new[] { false, true })
            {
                var problem = new GemmCase(transA, !transA, 53, 5 * nr + 3, 30, Alpha: 0.5, Beta: -2, PadA: 1, PadC: 2, Seed: 31 + threads);
                SgemmRunner.AssertMatches(problem, operands => SgemmRunner.RunWithBlocking(kernel, operands, blocking, threads));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void ParallelSplitOfShortWideAndTallNarrowProductsMatchesReference(string kernelName)
    {
        SgemmKernelKind kernel = SupportedKernel(kernelName);
        var blocking = kernel switch
        {
            SgemmKernelKind.Avx512 => GemmBlocking.For<float, Avx512SgemmKernel>(),
            SgemmKernelKind.Avx2Fma => GemmBlocking.For<float, Avx2SgemmKernel>(),
            _ => GemmBlocking.For<float, VectorMicroKernel<float>>(),
        };
        foreach (var (m, n) in new[] { (1, 300), (5, 97), (300, 1), (131, 7) })
        {
            var problem = new GemmCase(false, false, m, n, 19, Alpha: 1, Beta: 0, Seed: m + n);
            SgemmRunner.AssertMatches(problem, operands => SgemmRunner.RunWithBlocking(kernel, operands, blocking, threads: 2));
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void ZeroDepthScalesCByBetaWithoutReadingItWhenBetaIsZero(string kernelName)
    {
        SgemmKernelKind kernel = SupportedKernel(kernelName);
        SgemmRunner.AssertManagedMatches(new GemmCase(false, false, 4, 5, 0, Alpha: 1, Beta: 0, PadC: 1), kernel, maxThreads: 1);
        SgemmRunner.AssertManagedMatches(new GemmCase(true, true, 4, 5, 0, Alpha: 1, Beta: 3, PadC: 1), kernel, maxThreads: 1);
    }

    [Fact]
    public void ZeroAlphaOnlyScalesC()
    {
        SgemmRunner.AssertManagedMatches(new GemmCase(false, true, 9, 10, 11, Alpha: 0, Beta: 0.5), ManagedGemm.BestSgemmKernel, maxThreads: 1);
    }

    [Fact]
    public void EmptyOutputIsANoOp()
    {
        float[] c = [7f];
        ManagedGemm.Sgemm(false, false, 0, 1, 3, 1f, [], 3, [1f, 2f, 3f], 1, 0f, c, 1);
        ManagedGemm.Sgemm(false, false, 1, 0, 3, 1f, [1f, 2f, 3f], 3, [], 1, 0f, [], 1);
        Assert.Equal(7f, c[0]);
    }

    [Fact]
    public void PublicEntryPointUsesTheBestKernelAndAllCores()
    {
        var problem = new GemmCase(false, false, 200, 210, 220, Alpha: 1, Beta: 0, Seed: 41);
        double[] a = problem.CreateA(), b = problem.CreateB(), c = problem.CreateC();
        float[] result = GemmCase.ToSingle(c);
        ManagedGemm.Sgemm(false, false, 200, 210, 220, 1f, GemmCase.ToSingle(a), problem.Lda, GemmCase.ToSingle(b), problem.Ldb, 0f, result, problem.Ldc);
        problem.AssertSingleMatches(a, b, c, result);
    }

    [Fact]
    public void DescribesTheBestKernel()
    {
        Assert.StartsWith("managed ", ManagedGemm.Description);
        Assert.True(ManagedGemm.IsSupported(ManagedGemm.BestSgemmKernel));
    }

    internal static SgemmKernelKind SupportedKernel(string kernelName)
    {
        var kernel = Enum.Parse<SgemmKernelKind>(kernelName);
        if (!ManagedGemm.IsSupported(kernel))
        {
            Assert.Skip($"{ManagedGemm.Describe(kernel)} is not supported on this CPU.");
        }

        return kernel;
    }
}

using RawDiffusion.Backends.Cpu;

namespace RawDiffusion.Tests.Gemm;

[Collection(nameof(GemmProviderStateCollection))]
public class CpuGemmTests
{
    public static TheoryData<GemmProvider> Providers => new(GemmProvider.Managed, GemmProvider.Blas);

    [Theory]
    [MemberData(nameof(Providers))]
    public void SgemmMatchesReference(GemmProvider provider)
    {
        SkipUnlessUsable(provider);
        var problem = new GemmCase(true, false, 41, 38, 27, Alpha: 1.5, Beta: 0, PadA: 1, PadB: 2, PadC: 1, Seed: 51);
        double[] a = problem.CreateA(), b = problem.CreateB(), c = problem.CreateC();
        float[] result = GemmCase.ToSingle(c);
        GemmProviderTests.WithProvider(provider, () => CpuGemm.Sgemm(problem.TransA, problem.TransB, problem.M, problem.N, problem.K,
            (float)problem.Alpha, GemmCase.ToSingle(a), problem.Lda, GemmCase.ToSingle(b), problem.Ldb, (float)problem.Beta, result, problem.Ldc));
        problem.AssertSingleMatches(a, b, c, result);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void ZeroDepthAndZeroAlphaOnlyScaleC(GemmProvider provider)
    {
        SkipUnlessUsable(provider);
        float[] c = [float.NaN, float.NaN, 3f, 4f];
        GemmProviderTests.WithProvider(provider, () =>
        {
            CpuGemm.Sgemm(false, false, 1, 2, 0, 1f, [], 1, [], 2, 0f, c.AsSpan(0, 2), 2);
            CpuGemm.Sgemm(false, false, 1, 2, 1, 0f, [float.NaN], 1, [1f, 1f], 2, 2f, c.AsSpan(2, 2), 2);
        });
        Assert.Equal([0f, 0f, 6f, 8f], c);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void SmallBatchWithGapsBetweenItemsMatchesReference(GemmProvider provider)
    {
        SkipUnlessUsable(provider);
        // Small items run side by side across the cores; the gaps between items must stay untouched.
        var items = Enumerable.Range(0, 7)
            .Select(index => new GemmCase(false, true, 13, 18, 21, Alpha: 0.5, Beta: 1.5, Seed: 60 + index))
            .ToArray();
        AssertSingleBatchMatches(provider, items, gap: 3);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void LargeBatchItemsMatchReference(GemmProvider provider)
    {
        SkipUnlessUsable(provider);
        // Items big enough to be split across threads one after the other.
        var items = Enumerable.Range(0, 2)
            .Select(index => new GemmCase(true, false, 130, 120, 110, Alpha: 1, Beta: 0.5, Seed: 70 + index))
            .ToArray();
        Assert.Equal(2, GemmThreading.ThreadsFor(2.0 * 130 * 120 * 110, 2));
        AssertSingleBatchMatches(provider, items, gap: 0);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void ManyItemsWorthSplittingRunSideBySideAndMatchReference(GemmProvider provider)
    {
        SkipUnlessUsable(provider);
        var items = Enumerable.Range(0, 4 * GemmThreading.MaxThreads)
            .Select(index => new GemmCase(false, false, 130, 120, 110, Alpha: -1, Beta: 0, Seed: 75 + index))
            .ToArray();
        AssertSingleBatchMatches(provider, items, gap: 1);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void BatchSharingOneAMatchesReference(GemmProvider provider)
    {
        SkipUnlessUsable(provider);
        var shape = new GemmCase(false, false, 9, 10, 11, Alpha: 1, Beta: 0);
        float[] a = GemmCase.ToSingle(shape.CreateA());
        var items = Enumerable.Range(0, 4).Select(index => shape with { Seed = 80 + index }).ToArray();
        float[] b = items.SelectMany(item => GemmCase.ToSingle(item.CreateB())).ToArray();
        float[] c = new float[items.Length * shape.M * shape.N];
        GemmProviderTests.WithProvider(provider, () => CpuGemm.SgemmBatched(false, false, shape.M, shape.N, shape.K, 1f,
            a, shape.Lda, 0, b, shape.Ldb, shape.K * shape.N, 0f, c, shape.Ldc, shape.M * shape.N, items.Length));
        for (int index = 0; index < items.Length; index++)
        {
            double[] itemB = items[index].CreateB();
            items[index].AssertSingleMatches(shape.CreateA(), itemB, shape.CreateC(), c.AsSpan(index * shape.M * shape.N, shape.M * shape.N).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void DoubleBatchMatchesReference(GemmProvider provider)
    {
        SkipUnlessUsable(provider);
        var items = Enumerable.Range(0, 3)
            .Select(index => new GemmCase(true, true, 12, 7, 15, Alpha: -1, Beta: 0.25, PadC: 1, Seed: 90 + index))
            .ToArray();
        GemmCase shape = items[0];
        var inputs = items.Select(item => (A: item.CreateA(), B: item.CreateB(), C: item.CreateC())).ToArray();
        long strideA = inputs[0].A.Length, strideB = inputs[0].B.Length, strideC = inputs[0].C.Length;
        double[] a = inputs.SelectMany(input => input.A).ToArray();
        double[] b = inputs.SelectMany(input => input.B).ToArray();
        double[] c = inputs.SelectMany(input => input.C).ToArray();
        GemmProviderTests.WithProvider(provider, () => CpuGemm.DgemmBatched(true, true, shape.M, shape.N, shape.K, shape.Alpha,
            a, shape.Lda, strideA, b, shape.Ldb, strideB, shape.Beta, c, shape.Ldc, strideC, items.Length));
        for (int index = 0; index < items.Length; index++)
        {
            items[index].AssertMatches(inputs[index].A, inputs[index].B, inputs[index].C,
                c.AsSpan((int)(index * strideC), (int)strideC).ToArray(), GemmCase.DoubleRoundoff);
        }
    }

    [Fact]
    public void EmptyBatchIsANoOp() =>
        CpuGemm.SgemmBatched(false, false, 2, 2, 2, 1f, [], 2, 4, [], 2, 4, 0f, [], 2, 4, 0);

    /// <summary>Lays the items out one after another with <paramref name="gap"/> unused elements between them.</summary>
    private static void AssertSingleBatchMatches(GemmProvider provider, GemmCase[] items, int gap)
    {
        GemmCase shape = items[0];
        var inputs = items.Select(item => (A: item.CreateA(), B: item.CreateB(), C: item.CreateC())).ToArray();
        int strideA = inputs[0].A.Length + gap, strideB = inputs[0].B.Length + gap, strideC = inputs[0].C.Length + gap;
        float[] a = Interleave(inputs.Select(input => input.A), strideA);
        float[] b = Interleave(inputs.Select(input => input.B), strideB);
        float[] c = Interleave(inputs.Select(input => input.C), strideC);
        GemmProviderTests.WithProvider(provider, () => CpuGemm.SgemmBatched(shape.TransA, shape.TransB, shape.M, shape.N, shape.K,
            (float)shape.Alpha, a, shape.Lda, strideA, b, shape.Ldb, strideB, (float)shape.Beta, c, shape.Ldc, strideC, items.Length));
        for (int index = 0; index < items.Length; index++)
        {
            items[index].AssertSingleMatches(inputs[index].A, inputs[index].B, inputs[index].C,
                c.AsSpan(index * strideC, inputs[index].C.Length).ToArray());
            if (index + 1 < items.Length)
            {
                Assert.All(c.AsSpan(index * strideC + inputs[index].C.Length, gap).ToArray(), value => Assert.Equal(-1f, value));
            }
        }
    }

    private static float[] Interleave(IEnumerable<double[]> matrices, int stride)
    {
        double[][] all = matrices.ToArray();
        var data = new float[(all.Length - 1) * stride + all[^1].Length];
        Array.Fill(data, -1f);
        for (int index = 0; index < all.Length; index++)
        {
            GemmCase.ToSingle(all[index]).CopyTo(data, index * stride);
        }

        return data;
    }

    private static void SkipUnlessUsable(GemmProvider provider)
    {
        if (provider == GemmProvider.Blas)
        {
            BlasAvailability.SkipUnlessLoaded();
        }
    }
}

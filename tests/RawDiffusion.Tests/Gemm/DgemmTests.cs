using RawDiffusion.Backends.Cpu;

namespace RawDiffusion.Tests.Gemm;

public class DgemmTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void MatchesReference(bool transA, bool transB)
    {
        (int M, int N, int K)[] shapes = [(1, 1, 1), (6, 8, 4), (7, 9, 13), (31, 37, 41), (64, 3, 70)];
        int seed = 100;
        foreach (var (m, n, k) in shapes)
        {
            AssertManagedMatches(new GemmCase(transA, transB, m, n, k, Alpha: 1, Beta: 0, Seed: ++seed));
        }

        AssertManagedMatches(new GemmCase(transA, transB, 23, 29, 19, Alpha: -1.5, Beta: 0.75, PadA: 2, PadB: 3, PadC: 1, Seed: ++seed));
        AssertManagedMatches(new GemmCase(transA, transB, 5, 6, 0, Alpha: 1, Beta: 2, PadC: 1, Seed: ++seed));
    }

    [Fact]
    public void LargeProblemSplitAcrossThreadsMatchesReference()
    {
        var problem = new GemmCase(true, false, 120, 130, 110, Alpha: 1, Beta: 1, Seed: 7);
        Assert.Equal(2, GemmThreading.ThreadsFor(2.0 * problem.M * problem.N * problem.K, 2));
        AssertManagedMatches(problem);
    }

    private static void AssertManagedMatches(GemmCase problem)
    {
        double[] a = problem.CreateA(), b = problem.CreateB(), c = problem.CreateC();
        double[] result = (double[])c.Clone();
        ManagedGemm.Dgemm(problem.TransA, problem.TransB, problem.M, problem.N, problem.K,
            problem.Alpha, a, problem.Lda, b, problem.Ldb, problem.Beta, result, problem.Ldc);
        problem.AssertMatches(a, b, c, result, GemmCase.DoubleRoundoff);
    }
}

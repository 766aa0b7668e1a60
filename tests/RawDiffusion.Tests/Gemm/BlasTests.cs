using RawDiffusion.Backends.Cpu;

namespace RawDiffusion.Tests.Gemm;

public class BlasTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public unsafe void SgemmMatchesReference(bool transA, bool transB)
    {
        BlasAvailability.SkipUnlessLoaded();
        SgemmRunner.AssertMatches(new GemmCase(transA, transB, 37, 45, 29, Alpha: 1, Beta: 0, PadA: 1, PadB: 2, PadC: 3, Seed: 5), op => Blas.Sgemm(op));
        SgemmRunner.AssertMatches(new GemmCase(transA, transB, 300, 257, 129, Alpha: -0.5, Beta: 2, Seed: 6), op => Blas.Sgemm(op));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public unsafe void DgemmMatchesReference(bool transA, bool transB)
    {
        BlasAvailability.SkipUnlessLoaded();
        var problem = new GemmCase(transA, transB, 33, 21, 17, Alpha: 0.5, Beta: 1, PadA: 2, PadC: 1, Seed: 8);
        double[] a = problem.CreateA(), b = problem.CreateB(), c = problem.CreateC();
        double[] result = (double[])c.Clone();
        fixed (double* aPointer = a)
        fixed (double* bPointer = b)
        fixed (double* cPointer = result)
        {
            Blas.Dgemm(new GemmOperands<double>(transA, transB, problem.M, problem.N, problem.K,
                problem.Alpha, aPointer, problem.Lda, bPointer, problem.Ldb, problem.Beta, cPointer, problem.Ldc));
        }

        problem.AssertMatches(a, b, c, result, GemmCase.DoubleRoundoff);
    }

    [Fact]
    public void DescribesTheLoadedLibrary()
    {
        BlasAvailability.SkipUnlessLoaded();
        Assert.Contains(Blas.CandidateLibraryNames, name => name == Blas.LibraryName);
        Assert.Contains($"({Blas.LibraryName})", Blas.Description);
    }

    [Fact]
    public void NotFoundMessageListsEveryLibraryTried()
    {
        foreach (string name in Blas.CandidateLibraryNames)
        {
            Assert.Contains(name, Blas.NotFoundMessage);
        }
    }
}

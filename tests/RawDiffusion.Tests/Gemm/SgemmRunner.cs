using RawDiffusion.Backends.Cpu;

namespace RawDiffusion.Tests.Gemm;

/// <summary>Runs a <see cref="GemmCase"/> through a single-precision implementation and compares with the reference.</summary>
internal static unsafe class SgemmRunner
{
    public static void AssertManagedMatches(GemmCase problem, SgemmKernelKind kernel, int maxThreads) =>
        AssertMatches(problem, operands => ManagedGemm.Sgemm(kernel, operands, maxThreads));

    public static void AssertMatches(GemmCase problem, Action<GemmOperands<float>> multiply)
    {
        double[] a = problem.CreateA(), b = problem.CreateB(), c = problem.CreateC();
        float[] aSingle = GemmCase.ToSingle(a), bSingle = GemmCase.ToSingle(b), result = GemmCase.ToSingle(c);
        fixed (float* aPointer = aSingle)
        fixed (float* bPointer = bSingle)
        fixed (float* cPointer = result)
        {
            multiply(new GemmOperands<float>(problem.TransA, problem.TransB, problem.M, problem.N, problem.K,
                (float)problem.Alpha, aPointer, problem.Lda, bPointer, problem.Ldb, (float)problem.Beta, cPointer, problem.Ldc));
        }

        problem.AssertSingleMatches(a, b, c, result);
    }

    public static void RunWithBlocking(SgemmKernelKind kernel, GemmOperands<float> operands, GemmBlocking blocking, int threads)
    {
        switch (kernel)
        {
            case SgemmKernelKind.Avx512:
                GemmDriver<float, Avx512SgemmKernel>.Multiply(operands, blocking, threads);
                break;
            case SgemmKernelKind.Avx2Fma:
                GemmDriver<float, Avx2SgemmKernel>.Multiply(operands, blocking, threads);
                break;
            default:
                GemmDriver<float, VectorMicroKernel<float>>.Multiply(operands, blocking, threads);
                break;
        }
    }
}

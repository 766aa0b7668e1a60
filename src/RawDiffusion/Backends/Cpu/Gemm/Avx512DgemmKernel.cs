using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// 12 x 16 double-precision micro-kernel for AVX-512F, the float64 twin of <see cref="Avx512SgemmKernel"/>
/// (the Gram matrices and Householder updates of the spectrum analysis run in float64).
/// </summary>
/// <remarks>
/// Shape: 12 rows x 2 zmm columns (8 doubles each) keeps 24 accumulators + 2 B vectors + 1 broadcast A value in the
/// 32 zmm registers. Each k step issues 24 FMAs against 2 vector loads and 12 scalar broadcasts,
/// which keeps both FMA pipes busy while staying well under two loads per cycle, and 24 independent
/// accumulators cover the FMA latency (4 cycles x 2 pipes needs at least 8).
/// </remarks>
internal readonly unsafe struct Avx512DgemmKernel : IGemmMicroKernel<double>
{
    public static int Rows => 12;

    public static int Columns => 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(int kc, double* packedA, double* packedB, double alpha, double beta, double* c, nint ldc)
    {
        // Touch the C tile early: its lines are needed only after the k loop, and missing them then
        // would stall the stores of all 24 accumulators.
        Sse.Prefetch0(c);
        Sse.Prefetch0(c + 8);
        Sse.Prefetch0(c + 1 * ldc);
        Sse.Prefetch0(c + 1 * ldc + 8);
        Sse.Prefetch0(c + 2 * ldc);
        Sse.Prefetch0(c + 2 * ldc + 8);
        Sse.Prefetch0(c + 3 * ldc);
        Sse.Prefetch0(c + 3 * ldc + 8);
        Sse.Prefetch0(c + 4 * ldc);
        Sse.Prefetch0(c + 4 * ldc + 8);
        Sse.Prefetch0(c + 5 * ldc);
        Sse.Prefetch0(c + 5 * ldc + 8);
        Sse.Prefetch0(c + 6 * ldc);
        Sse.Prefetch0(c + 6 * ldc + 8);
        Sse.Prefetch0(c + 7 * ldc);
        Sse.Prefetch0(c + 7 * ldc + 8);
        Sse.Prefetch0(c + 8 * ldc);
        Sse.Prefetch0(c + 8 * ldc + 8);
        Sse.Prefetch0(c + 9 * ldc);
        Sse.Prefetch0(c + 9 * ldc + 8);
        Sse.Prefetch0(c + 10 * ldc);
        Sse.Prefetch0(c + 10 * ldc + 8);
        Sse.Prefetch0(c + 11 * ldc);
        Sse.Prefetch0(c + 11 * ldc + 8);

        Vector512<double> c00 = default, c01 = default;
        Vector512<double> c10 = default, c11 = default;
        Vector512<double> c20 = default, c21 = default;
        Vector512<double> c30 = default, c31 = default;
        Vector512<double> c40 = default, c41 = default;
        Vector512<double> c50 = default, c51 = default;
        Vector512<double> c60 = default, c61 = default;
        Vector512<double> c70 = default, c71 = default;
        Vector512<double> c80 = default, c81 = default;
        Vector512<double> c90 = default, c91 = default;
        Vector512<double> c100 = default, c101 = default;
        Vector512<double> c110 = default, c111 = default;

        for (int p = 0; p < kc; p++)
        {
            Vector512<double> b0 = Vector512.Load(packedB);
            Vector512<double> b1 = Vector512.Load(packedB + 8);
            Vector512<double> a;
            a = Vector512.Create(packedA[0]);
            c00 = Avx512F.FusedMultiplyAdd(a, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(packedA[1]);
            c10 = Avx512F.FusedMultiplyAdd(a, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(packedA[2]);
            c20 = Avx512F.FusedMultiplyAdd(a, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(packedA[3]);
            c30 = Avx512F.FusedMultiplyAdd(a, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(a, b1, c31);
            a = Vector512.Create(packedA[4]);
            c40 = Avx512F.FusedMultiplyAdd(a, b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(a, b1, c41);
            a = Vector512.Create(packedA[5]);
            c50 = Avx512F.FusedMultiplyAdd(a, b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(a, b1, c51);
            a = Vector512.Create(packedA[6]);
            c60 = Avx512F.FusedMultiplyAdd(a, b0, c60);
            c61 = Avx512F.FusedMultiplyAdd(a, b1, c61);
            a = Vector512.Create(packedA[7]);
            c70 = Avx512F.FusedMultiplyAdd(a, b0, c70);
            c71 = Avx512F.FusedMultiplyAdd(a, b1, c71);
            a = Vector512.Create(packedA[8]);
            c80 = Avx512F.FusedMultiplyAdd(a, b0, c80);
            c81 = Avx512F.FusedMultiplyAdd(a, b1, c81);
            a = Vector512.Create(packedA[9]);
            c90 = Avx512F.FusedMultiplyAdd(a, b0, c90);
            c91 = Avx512F.FusedMultiplyAdd(a, b1, c91);
            a = Vector512.Create(packedA[10]);
            c100 = Avx512F.FusedMultiplyAdd(a, b0, c100);
            c101 = Avx512F.FusedMultiplyAdd(a, b1, c101);
            a = Vector512.Create(packedA[11]);
            c110 = Avx512F.FusedMultiplyAdd(a, b0, c110);
            c111 = Avx512F.FusedMultiplyAdd(a, b1, c111);
            packedA += 12;
            packedB += 16;
        }

        Store(c, c00, c01, alpha, beta);
        Store(c + 1 * ldc, c10, c11, alpha, beta);
        Store(c + 2 * ldc, c20, c21, alpha, beta);
        Store(c + 3 * ldc, c30, c31, alpha, beta);
        Store(c + 4 * ldc, c40, c41, alpha, beta);
        Store(c + 5 * ldc, c50, c51, alpha, beta);
        Store(c + 6 * ldc, c60, c61, alpha, beta);
        Store(c + 7 * ldc, c70, c71, alpha, beta);
        Store(c + 8 * ldc, c80, c81, alpha, beta);
        Store(c + 9 * ldc, c90, c91, alpha, beta);
        Store(c + 10 * ldc, c100, c101, alpha, beta);
        Store(c + 11 * ldc, c110, c111, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(double* row, Vector512<double> left, Vector512<double> right, double alpha, double beta)
    {
        Vector512<double> alphaVector = Vector512.Create(alpha);
        if (beta == 0.0)
        {
            Vector512.Store(left * alphaVector, row);
            Vector512.Store(right * alphaVector, row + 8);
        }
        else
        {
            Vector512<double> betaVector = Vector512.Create(beta);
            Vector512.Store(Avx512F.FusedMultiplyAdd(left, alphaVector, Vector512.Load(row) * betaVector), row);
            Vector512.Store(Avx512F.FusedMultiplyAdd(right, alphaVector, Vector512.Load(row + 8) * betaVector), row + 8);
        }
    }
}

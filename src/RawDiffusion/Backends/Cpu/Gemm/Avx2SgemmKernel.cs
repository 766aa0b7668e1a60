using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// 6 x 16 single-precision micro-kernel for AVX2 + FMA (the classic Haswell shape).
/// </summary>
/// <remarks>
/// 12 ymm accumulators + 2 B vectors + 1 broadcast fill 15 of the 16 ymm registers; 12 independent
/// FMA chains cover the FMA latency of two pipes, and a k step needs 2 vector loads plus 6 broadcasts.
/// </remarks>
internal readonly unsafe struct Avx2SgemmKernel : IGemmMicroKernel<float>
{
    public static int Rows => 6;

    public static int Columns => 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(int kc, float* packedA, float* packedB, float alpha, float beta, float* c, nint ldc)
    {
        // A 16-float row of C is one 64-byte line when aligned; fetch them while the k loop runs.
        Sse.Prefetch0(c);
        Sse.Prefetch0(c + 1 * ldc);
        Sse.Prefetch0(c + 2 * ldc);
        Sse.Prefetch0(c + 3 * ldc);
        Sse.Prefetch0(c + 4 * ldc);
        Sse.Prefetch0(c + 5 * ldc);

        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default;
        Vector256<float> c50 = default, c51 = default;

        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(packedB);
            Vector256<float> b1 = Vector256.Load(packedB + 8);
            Vector256<float> a;
            a = Vector256.Create(packedA[0]);
            c00 = Fma.MultiplyAdd(a, b0, c00);
            c01 = Fma.MultiplyAdd(a, b1, c01);
            a = Vector256.Create(packedA[1]);
            c10 = Fma.MultiplyAdd(a, b0, c10);
            c11 = Fma.MultiplyAdd(a, b1, c11);
            a = Vector256.Create(packedA[2]);
            c20 = Fma.MultiplyAdd(a, b0, c20);
            c21 = Fma.MultiplyAdd(a, b1, c21);
            a = Vector256.Create(packedA[3]);
            c30 = Fma.MultiplyAdd(a, b0, c30);
            c31 = Fma.MultiplyAdd(a, b1, c31);
            a = Vector256.Create(packedA[4]);
            c40 = Fma.MultiplyAdd(a, b0, c40);
            c41 = Fma.MultiplyAdd(a, b1, c41);
            a = Vector256.Create(packedA[5]);
            c50 = Fma.MultiplyAdd(a, b0, c50);
            c51 = Fma.MultiplyAdd(a, b1, c51);
            packedA += 6;
            packedB += 16;
        }

        Store(c, c00, c01, alpha, beta);
        Store(c + 1 * ldc, c10, c11, alpha, beta);
        Store(c + 2 * ldc, c20, c21, alpha, beta);
        Store(c + 3 * ldc, c30, c31, alpha, beta);
        Store(c + 4 * ldc, c40, c41, alpha, beta);
        Store(c + 5 * ldc, c50, c51, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector256<float> left, Vector256<float> right, float alpha, float beta)
    {
        Vector256<float> alphaVector = Vector256.Create(alpha);
        if (beta == 0f)
        {
            Vector256.Store(left * alphaVector, row);
            Vector256.Store(right * alphaVector, row + 8);
        }
        else
        {
            Vector256<float> betaVector = Vector256.Create(beta);
            Vector256.Store(Fma.MultiplyAdd(left, alphaVector, Vector256.Load(row) * betaVector), row);
            Vector256.Store(Fma.MultiplyAdd(right, alphaVector, Vector256.Load(row + 8) * betaVector), row + 8);
        }
    }
}

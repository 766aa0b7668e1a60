using System.Numerics;
using System.Runtime.CompilerServices;

namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// Portable 6 x (2 * Vector&lt;T&gt;.Count) micro-kernel built on <see cref="Vector{T}"/>: the fallback
/// for single precision on hardware without AVX2/AVX-512, and the double-precision kernel everywhere.
/// </summary>
/// <remarks>
/// 12 accumulators + 2 B vectors + 1 broadcast fit the 16 vector registers of x64 (ARM64 has 32),
/// and 12 independent multiply-add chains hide the arithmetic latency. Multiply and add are written
/// separately because a fused operation is emulated in software where the hardware lacks it.
/// </remarks>
internal readonly unsafe struct VectorMicroKernel<T> : IGemmMicroKernel<T>
    where T : unmanaged, INumberBase<T>
{
    public static int Rows => 6;

    public static int Columns => 2 * Vector<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(int kc, T* packedA, T* packedB, T alpha, T beta, T* c, nint ldc)
    {
        int width = Vector<T>.Count;
        Vector<T> c00 = default, c01 = default;
        Vector<T> c10 = default, c11 = default;
        Vector<T> c20 = default, c21 = default;
        Vector<T> c30 = default, c31 = default;
        Vector<T> c40 = default, c41 = default;
        Vector<T> c50 = default, c51 = default;

        for (int p = 0; p < kc; p++)
        {
            Vector<T> b0 = Vector.Load(packedB);
            Vector<T> b1 = Vector.Load(packedB + width);
            Vector<T> a;
            a = new Vector<T>(packedA[0]);
            c00 += a * b0;
            c01 += a * b1;
            a = new Vector<T>(packedA[1]);
            c10 += a * b0;
            c11 += a * b1;
            a = new Vector<T>(packedA[2]);
            c20 += a * b0;
            c21 += a * b1;
            a = new Vector<T>(packedA[3]);
            c30 += a * b0;
            c31 += a * b1;
            a = new Vector<T>(packedA[4]);
            c40 += a * b0;
            c41 += a * b1;
            a = new Vector<T>(packedA[5]);
            c50 += a * b0;
            c51 += a * b1;
            packedA += 6;
            packedB += 2 * width;
        }

        Store(c, c00, c01, alpha, beta);
        Store(c + 1 * ldc, c10, c11, alpha, beta);
        Store(c + 2 * ldc, c20, c21, alpha, beta);
        Store(c + 3 * ldc, c30, c31, alpha, beta);
        Store(c + 4 * ldc, c40, c41, alpha, beta);
        Store(c + 5 * ldc, c50, c51, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(T* row, Vector<T> left, Vector<T> right, T alpha, T beta)
    {
        int width = Vector<T>.Count;
        if (T.IsZero(beta))
        {
            Vector.Store(left * alpha, row);
            Vector.Store(right * alpha, row + width);
        }
        else
        {
            Vector.Store(left * alpha + Vector.Load(row) * beta, row);
            Vector.Store(right * alpha + Vector.Load(row + width) * beta, row + width);
        }
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// Packs <c>width</c> consecutive rows of a row-major float matrix into one k-major micro-panel
/// (<c>panel[p * width + row] = source[row * ld + p]</c>) with AVX register transposes.
/// </summary>
/// <remarks>
/// This is the layout change needed for A when it is not transposed and for B when it is. Done one element
/// at a time it costs about 3 cycles per element because of the strided stores, enough to take 10% of a
/// 1024^3 multiplication; transposing 8 x 8 (and 4 x 8) blocks in registers reads and writes whole vectors.
/// </remarks>
internal static unsafe class AvxPanelTranspose
{
    public static bool IsSupported => Avx.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(float* source, nint ld, int kc, int width, float* panel)
    {
        int row = 0;
        for (; row + 8 <= width; row += 8)
        {
            int p = 0;
            for (; p + 8 <= kc; p += 8)
            {
                Transpose8x8(source + row * ld + p, ld, panel + (nint)p * width + row, width);
            }

            CopyRemainingDepth(source + row * ld, ld, p, kc, 8, panel + row, width);
        }

        for (; row + 4 <= width; row += 4)
        {
            int p = 0;
            for (; p + 8 <= kc; p += 8)
            {
                Transpose4x8(source + row * ld + p, ld, panel + (nint)p * width + row, width);
            }

            CopyRemainingDepth(source + row * ld, ld, p, kc, 4, panel + row, width);
        }

        CopyRemainingDepth(source + row * ld, ld, 0, kc, width - row, panel + row, width);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyRemainingDepth(float* source, nint ld, int fromDepth, int kc, int rows, float* panel, int width)
    {
        for (int i = 0; i < rows; i++)
        {
            for (int p = fromDepth; p < kc; p++)
            {
                panel[(nint)p * width + i] = source[i * ld + p];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* source, nint ld, float* target, nint width)
    {
        Vector256<float> r0 = Avx.LoadVector256(source);
        Vector256<float> r1 = Avx.LoadVector256(source + ld);
        Vector256<float> r2 = Avx.LoadVector256(source + 2 * ld);
        Vector256<float> r3 = Avx.LoadVector256(source + 3 * ld);
        Vector256<float> r4 = Avx.LoadVector256(source + 4 * ld);
        Vector256<float> r5 = Avx.LoadVector256(source + 5 * ld);
        Vector256<float> r6 = Avx.LoadVector256(source + 6 * ld);
        Vector256<float> r7 = Avx.LoadVector256(source + 7 * ld);

        // Interleave pairs of rows, then pairs of pairs: each 128-bit lane then holds a 4 x 4 transpose.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);

        // Join the low lanes (columns 0-3) and the high lanes (columns 4-7) of rows 0-3 and rows 4-7.
        Avx.Store(target, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(target + width, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(target + 2 * width, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(target + 3 * width, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(target + 4 * width, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(target + 5 * width, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(target + 6 * width, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(target + 7 * width, Avx.Permute2x128(s3, s7, 0x31));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x8(float* source, nint ld, float* target, nint width)
    {
        Vector256<float> r0 = Avx.LoadVector256(source);
        Vector256<float> r1 = Avx.LoadVector256(source + ld);
        Vector256<float> r2 = Avx.LoadVector256(source + 2 * ld);
        Vector256<float> r3 = Avx.LoadVector256(source + 3 * ld);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);

        // Each result holds column c of the four rows in its low lane and column c + 4 in its high lane.
        Vector256<float> c04 = Avx.Shuffle(t0, t2, 0x44), c15 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> c26 = Avx.Shuffle(t1, t3, 0x44), c37 = Avx.Shuffle(t1, t3, 0xEE);
        Sse.Store(target, c04.GetLower());
        Sse.Store(target + width, c15.GetLower());
        Sse.Store(target + 2 * width, c26.GetLower());
        Sse.Store(target + 3 * width, c37.GetLower());
        Sse.Store(target + 4 * width, c04.GetUpper());
        Sse.Store(target + 5 * width, c15.GetUpper());
        Sse.Store(target + 6 * width, c26.GetUpper());
        Sse.Store(target + 7 * width, c37.GetUpper());
    }
}

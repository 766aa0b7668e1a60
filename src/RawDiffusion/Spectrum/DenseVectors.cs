using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RawDiffusion.Spectrum;

/// <summary>
/// Dot products and axpys on contiguous float64 vectors with AVX-512-width vectors, for the reflector steps of the
/// eigensolver (panel factorisation, bulge chasing). The JIT does not vectorise such scalar loops by itself; at
/// n = 1024 the scalar versions made the panel factorisations take a fifth of the band reduction.
/// </summary>
internal static unsafe class DenseVectors
{
    private const int Lanes = 8;

    /// <summary>xᵀ y, with two accumulators so consecutive FMAs do not wait on one another.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Dot(double* x, double* y, int count)
    {
        int i = 0;
        Vector512<double> sum0 = Vector512<double>.Zero, sum1 = Vector512<double>.Zero;
        for (; i + 2 * Lanes <= count; i += 2 * Lanes)
        {
            sum0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + i), Vector512.Load(y + i), sum0);
            sum1 = Vector512.FusedMultiplyAdd(Vector512.Load(x + i + Lanes), Vector512.Load(y + i + Lanes), sum1);
        }
        if (i + Lanes <= count)
        {
            sum0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + i), Vector512.Load(y + i), sum0);
            i += Lanes;
        }
        double total = Vector512.Sum(sum0 + sum1);
        if (i + Lanes / 2 <= count)
        {
            // Half a vector before the scalar tail: the bulge chase's vectors are b = 32 long or shorter.
            total += Vector256.Sum(Vector256.Load(x + i) * Vector256.Load(y + i));
            i += Lanes / 2;
        }
        for (; i < count; i++)
        {
            total += x[i] * y[i];
        }
        return total;
    }

    /// <summary>y += alpha x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Axpy(double alpha, double* x, double* y, int count)
    {
        int i = 0;
        var scale = Vector512.Create(alpha);
        for (; i + Lanes <= count; i += Lanes)
        {
            Vector512.FusedMultiplyAdd(scale, Vector512.Load(x + i), Vector512.Load(y + i)).Store(y + i);
        }
        if (i + Lanes / 2 <= count)
        {
            Vector256.FusedMultiplyAdd(Vector256.Create(alpha), Vector256.Load(x + i), Vector256.Load(y + i)).Store(y + i);
            i += Lanes / 2;
        }
        for (; i < count; i++)
        {
            y[i] += alpha * x[i];
        }
    }

    /// <summary>Returns xᵀ z and adds alpha x to y in the same pass over x: one row's part of a symmetric matrix-vector
    /// product from the lower triangle (the row times z, and the row as a column times z[row] into y).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double DotAndAxpy(double* x, double* z, double alpha, double* y, int count)
    {
        int i = 0;
        var scale = Vector512.Create(alpha);
        Vector512<double> sum = Vector512<double>.Zero;
        for (; i + Lanes <= count; i += Lanes)
        {
            Vector512<double> xi = Vector512.Load(x + i);
            sum = Vector512.FusedMultiplyAdd(xi, Vector512.Load(z + i), sum);
            Vector512.FusedMultiplyAdd(scale, xi, Vector512.Load(y + i)).Store(y + i);
        }
        double total = Vector512.Sum(sum);
        if (i + Lanes / 2 <= count)
        {
            Vector256<double> xi = Vector256.Load(x + i);
            total += Vector256.Sum(xi * Vector256.Load(z + i));
            Vector256.FusedMultiplyAdd(scale.GetLower(), xi, Vector256.Load(y + i)).Store(y + i);
            i += Lanes / 2;
        }
        for (; i < count; i++)
        {
            total += x[i] * z[i];
            y[i] += alpha * x[i];
        }
        return total;
    }

    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(y.Length, x.Length, nameof(y));
        fixed (double* xp = x)
        fixed (double* yp = y)
        {
            return Dot(xp, yp, x.Length);
        }
    }

    public static void Scale(double alpha, Span<double> x)
    {
        fixed (double* xp = x)
        {
            int i = 0;
            var scale = Vector512.Create(alpha);
            for (; i + Lanes <= x.Length; i += Lanes)
            {
                (scale * Vector512.Load(xp + i)).Store(xp + i);
            }
            for (; i < x.Length; i++)
            {
                xp[i] *= alpha;
            }
        }
    }
}

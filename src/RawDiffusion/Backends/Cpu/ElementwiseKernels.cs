using System.Numerics;
using System.Runtime.CompilerServices;

namespace RawDiffusion.Backends.Cpu;

/// <summary>One scalar function per elementwise op, generic over float and double; the JIT specialises each
/// (T, op) pair so the row loops below run without dispatch. Ops that are pure arithmetic also give a
/// Vector&lt;T&gt; form used on unit-stride rows.</summary>
internal interface IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract T Apply(T x, T alpha, T beta);
    static virtual bool Vectorized => false;
    static virtual Vector<T> Apply(Vector<T> x, T alpha, T beta) => x;
}

internal interface IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract T Apply(T a, T b, T alpha, T beta);
    static virtual bool Vectorized => false;
    static virtual Vector<T> Apply(Vector<T> a, Vector<T> b, T alpha, T beta) => a;
}

internal static class ElementwiseRows
{
    public static void Unary<T, TOp>(T[] x, long xo, long xs, T[] d, long d0, long ds, int n, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : IUnaryKernel<T>
    {
        ref T xr = ref x[0];
        ref T dr = ref d[0];
        int i = 0;
        if (TOp.Vectorized && xs == 1 && ds == 1 && Vector.IsHardwareAccelerated)
        {
            int w = Vector<T>.Count;
            for (; i <= n - w; i += w)
            {
                var v = Vector.LoadUnsafe(ref Unsafe.Add(ref xr, (nint)(xo + i)));
                TOp.Apply(v, alpha, beta).StoreUnsafe(ref Unsafe.Add(ref dr, (nint)(d0 + i)));
            }
        }
        for (; i < n; i++)
            Unsafe.Add(ref dr, (nint)(d0 + i * ds)) = TOp.Apply(Unsafe.Add(ref xr, (nint)(xo + i * xs)), alpha, beta);
    }

    public static void Binary<T, TOp>(T[] a, long ao, long as_, T[] b, long bo, long bs, T[] d, long d0, long ds, int n, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : IBinaryKernel<T>
    {
        ref T ar = ref a[0];
        ref T br = ref b[0];
        ref T dr = ref d[0];
        int i = 0;
        if (TOp.Vectorized && ds == 1 && as_ <= 1 && bs <= 1 && Vector.IsHardwareAccelerated)
        {
            // Unit stride or a broadcast scalar (stride 0) on either side.
            int w = Vector<T>.Count;
            var aScalar = new Vector<T>(Unsafe.Add(ref ar, (nint)ao));
            var bScalar = new Vector<T>(Unsafe.Add(ref br, (nint)bo));
            for (; i <= n - w; i += w)
            {
                var va = as_ == 1 ? Vector.LoadUnsafe(ref Unsafe.Add(ref ar, (nint)(ao + i))) : aScalar;
                var vb = bs == 1 ? Vector.LoadUnsafe(ref Unsafe.Add(ref br, (nint)(bo + i))) : bScalar;
                TOp.Apply(va, vb, alpha, beta).StoreUnsafe(ref Unsafe.Add(ref dr, (nint)(d0 + i)));
            }
        }
        for (; i < n; i++)
            Unsafe.Add(ref dr, (nint)(d0 + i * ds)) = TOp.Apply(Unsafe.Add(ref ar, (nint)(ao + i * as_)), Unsafe.Add(ref br, (nint)(bo + i * bs)), alpha, beta);
    }
}

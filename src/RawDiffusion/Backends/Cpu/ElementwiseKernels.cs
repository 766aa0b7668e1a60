using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RawDiffusion.Backends.Cpu;

/// <summary>One scalar function per elementwise op, generic over float and double; the JIT specialises each
/// (T, op) pair so the row loops below run without dispatch. Ops that are pure arithmetic also give a
/// Vector&lt;T&gt; form used on unit-stride rows. Ops built on exp (exp, sigmoid, tanh, SiLU, GELU and the SiLU and GELU
/// gradients), which Vector&lt;T&gt; cannot express, give instead a float32 form over <see cref="IFloatLanes{V}"/>; it then
/// computes every float32 element of the op, SIMD or not, while float64 keeps the scalar form.</summary>
internal interface IUnaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract T Apply(T x, T alpha, T beta);
    static virtual bool Vectorized => false;
    static virtual Vector<T> Apply(Vector<T> x, T alpha, T beta) => x;
    static virtual bool HasFloatLanes => false;
    static virtual V Apply<V, L>(V x, float alpha, float beta) where V : struct where L : IFloatLanes<V> => x;
}

internal interface IBinaryKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract T Apply(T a, T b, T alpha, T beta);
    static virtual bool Vectorized => false;
    static virtual Vector<T> Apply(Vector<T> a, Vector<T> b, T alpha, T beta) => a;
    static virtual bool HasFloatLanes => false;
    static virtual V Apply<V, L>(V a, V b, float alpha, float beta) where V : struct where L : IFloatLanes<V> => a;
}

internal static class ElementwiseRows
{
    public static void Unary<T, TOp>(T[] x, long xo, long xs, T[] d, long d0, long ds, int n, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : IUnaryKernel<T>
    {
        if (typeof(T) == typeof(float) && TOp.HasFloatLanes)
        {
            UnaryLanes<T, TOp>(Unsafe.As<float[]>(x), xo, xs, Unsafe.As<float[]>(d), d0, ds, n, Unsafe.BitCast<T, float>(alpha), Unsafe.BitCast<T, float>(beta));
            return;
        }
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
        if (typeof(T) == typeof(float) && TOp.HasFloatLanes)
        {
            BinaryLanes<T, TOp>(Unsafe.As<float[]>(a), ao, as_, Unsafe.As<float[]>(b), bo, bs, Unsafe.As<float[]>(d), d0, ds, n,
                Unsafe.BitCast<T, float>(alpha), Unsafe.BitCast<T, float>(beta));
            return;
        }
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

    /// <summary>A float32 row of a lanes op: Vector512 blocks, then one Vector256 block, then single floats (also
    /// for strided rows), all the same function at different widths.</summary>
    static void UnaryLanes<T, TOp>(float[] x, long xo, long xs, float[] d, long d0, long ds, int n, float alpha, float beta)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : IUnaryKernel<T>
    {
        ref float xr = ref x[0];
        ref float dr = ref d[0];
        int i = 0;
        if (xs == 1 && ds == 1)
        {
            i = UnaryBlocks<T, TOp, Vector512<float>, Lanes512>(ref Unsafe.Add(ref xr, (nint)xo), ref Unsafe.Add(ref dr, (nint)d0), i, n, alpha, beta);
            i = UnaryBlocks<T, TOp, Vector256<float>, Lanes256>(ref Unsafe.Add(ref xr, (nint)xo), ref Unsafe.Add(ref dr, (nint)d0), i, n, alpha, beta);
        }
        for (; i < n; i++)
            Unsafe.Add(ref dr, (nint)(d0 + i * ds)) = TOp.Apply<float, ScalarLanes>(Unsafe.Add(ref xr, (nint)(xo + i * xs)), alpha, beta);
    }

    static int UnaryBlocks<T, TOp, V, L>(ref float x, ref float d, int i, int n, float alpha, float beta)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : IUnaryKernel<T> where V : struct where L : IFloatLanes<V>
    {
        if (!L.IsAccelerated) return i;
        for (; i <= n - L.Count; i += L.Count)
            L.Store(TOp.Apply<V, L>(L.Load(ref Unsafe.Add(ref x, i)), alpha, beta), ref Unsafe.Add(ref d, i));
        return i;
    }

    static void BinaryLanes<T, TOp>(float[] a, long ao, long as_, float[] b, long bo, long bs, float[] d, long d0, long ds, int n, float alpha, float beta)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : IBinaryKernel<T>
    {
        ref float ar = ref a[0];
        ref float br = ref b[0];
        ref float dr = ref d[0];
        int i = 0;
        if (ds == 1 && as_ <= 1 && bs <= 1)
        {
            // Unit stride or a broadcast scalar (stride 0) on either side.
            ref float a0 = ref Unsafe.Add(ref ar, (nint)ao);
            ref float b0 = ref Unsafe.Add(ref br, (nint)bo);
            ref float dRow = ref Unsafe.Add(ref dr, (nint)d0);
            i = BinaryBlocks<T, TOp, Vector512<float>, Lanes512>(ref a0, as_ == 1, ref b0, bs == 1, ref dRow, i, n, alpha, beta);
            i = BinaryBlocks<T, TOp, Vector256<float>, Lanes256>(ref a0, as_ == 1, ref b0, bs == 1, ref dRow, i, n, alpha, beta);
        }
        for (; i < n; i++)
            Unsafe.Add(ref dr, (nint)(d0 + i * ds)) = TOp.Apply<float, ScalarLanes>(
                Unsafe.Add(ref ar, (nint)(ao + i * as_)), Unsafe.Add(ref br, (nint)(bo + i * bs)), alpha, beta);
    }

    static int BinaryBlocks<T, TOp, V, L>(ref float a, bool aSteps, ref float b, bool bSteps, ref float d, int i, int n, float alpha, float beta)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : IBinaryKernel<T> where V : struct where L : IFloatLanes<V>
    {
        if (!L.IsAccelerated) return i;
        var aScalar = L.Splat(a);
        var bScalar = L.Splat(b);
        for (; i <= n - L.Count; i += L.Count)
        {
            var va = aSteps ? L.Load(ref Unsafe.Add(ref a, i)) : aScalar;
            var vb = bSteps ? L.Load(ref Unsafe.Add(ref b, i)) : bScalar;
            L.Store(TOp.Apply<V, L>(va, vb, alpha, beta), ref Unsafe.Add(ref d, i));
        }
        return i;
    }
}

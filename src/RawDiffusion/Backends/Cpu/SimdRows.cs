using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.InteropServices;

namespace RawDiffusion.Backends.Cpu;

/// <summary>Row-level SIMD helpers shared by the softmax, loss and normalisation kernels, generic over float and
/// double (the JIT removes the type tests).</summary>
internal static class SimdRows
{
    /// <summary>eˣ per lane by the BCL's vectorised exp (accurate enough for float64 gradient checks).</summary>
    public static Vector<T> Exp<T>(Vector<T> v) where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? Vector.Exp(v.As<T, float>()).As<float, T>() : Vector.Exp(v.As<T, double>()).As<double, T>();

    public static Vector<T> Load<T>(ReadOnlySpan<T> span, int index) where T : unmanaged =>
        Vector.LoadUnsafe(ref MemoryMarshal.GetReference(span), (nuint)index);

    public static void Store<T>(Vector<T> value, Span<T> span, int index) where T : unmanaged =>
        value.StoreUnsafe(ref MemoryMarshal.GetReference(span), (nuint)index);

    public static T Max<T>(ReadOnlySpan<T> row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0, w = Vector<T>.Count;
        T result = row[0];
        if (row.Length >= w)
        {
            var acc = Load(row, 0);
            for (i = w; i <= row.Length - w; i += w) acc = Vector.Max(acc, Load(row, i));
            for (int k = 0; k < w; k++) result = T.Max(result, acc[k]);
        }
        for (; i < row.Length; i++) result = T.Max(result, row[i]);
        return result;
    }

    public static T Sum<T>(ReadOnlySpan<T> row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0, w = Vector<T>.Count;
        var acc = Vector<T>.Zero;
        for (; i <= row.Length - w; i += w) acc += Load(row, i);
        T result = Vector.Sum(acc);
        for (; i < row.Length; i++) result += row[i];
        return result;
    }

    public static T Dot<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0, w = Vector<T>.Count;
        var acc = Vector<T>.Zero;
        for (; i <= a.Length - w; i += w) acc += Load(a, i) * Load(b, i);
        T result = Vector.Sum(acc);
        for (; i < a.Length; i++) result += a[i] * b[i];
        return result;
    }

    /// <summary>Σ (row − shift)², the second pass of a two-pass variance.</summary>
    public static T SumSquaredDeviations<T>(ReadOnlySpan<T> row, T shift) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0, w = Vector<T>.Count;
        var acc = Vector<T>.Zero;
        var s = new Vector<T>(shift);
        for (; i <= row.Length - w; i += w)
        {
            var d = Load(row, i) - s;
            acc += d * d;
        }
        T result = Vector.Sum(acc);
        for (; i < row.Length; i++) result += (row[i] - shift) * (row[i] - shift);
        return result;
    }

    /// <summary>destination = source · scale + shift (destination may be source).</summary>
    public static void Affine<T>(ReadOnlySpan<T> source, Span<T> destination, T scale, T shift) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0, w = Vector<T>.Count;
        var vs = new Vector<T>(scale);
        var vt = new Vector<T>(shift);
        for (; i <= source.Length - w; i += w) Store(Load(source, i) * vs + vt, destination, i);
        for (; i < source.Length; i++) destination[i] = source[i] * scale + shift;
    }

    /// <summary>destination[i] += source[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add<T>(Span<T> destination, ReadOnlySpan<T> source) where T : unmanaged, INumberBase<T>
    {
        int n = destination.Length, i = 0;
        if (n == 0) return;
        ref T d = ref destination[0];
        ref T s = ref Unsafe.AsRef(in source[0]);
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            for (int w = Vector<T>.Count; i <= n - w; i += w)
                (Vector.LoadUnsafe(ref Unsafe.Add(ref d, i)) + Vector.LoadUnsafe(ref Unsafe.Add(ref s, i))).StoreUnsafe(ref Unsafe.Add(ref d, i));
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) += Unsafe.Add(ref s, i);
    }

    /// <summary>destination[i] = scale * source[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scale<T>(Span<T> destination, ReadOnlySpan<T> source, T scale) where T : unmanaged, INumberBase<T>
    {
        int n = destination.Length, i = 0;
        if (n == 0) return;
        ref T d = ref destination[0];
        ref T s = ref Unsafe.AsRef(in source[0]);
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var v = new Vector<T>(scale);
            for (int w = Vector<T>.Count; i <= n - w; i += w)
                (Vector.LoadUnsafe(ref Unsafe.Add(ref s, i)) * v).StoreUnsafe(ref Unsafe.Add(ref d, i));
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) = scale * Unsafe.Add(ref s, i);
    }
}

using System.Numerics;
using System.Runtime.CompilerServices;

namespace RawDiffusion.Backends.Cpu;

/// <summary>SIMD row updates shared by the scatter-style kernels (index-add, col2im, pooling backward).</summary>
internal static class VectorRows
{
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

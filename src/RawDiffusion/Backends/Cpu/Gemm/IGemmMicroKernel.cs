namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// A register-blocked micro-kernel: multiplies one packed A micro-panel (Rows x kc, stored k-major as
/// kc groups of Rows values) by one packed B micro-panel (kc x Columns, stored k-major as kc groups of
/// Columns values) and writes <c>C = alpha * product + beta * C</c> for a full Rows x Columns tile.
/// </summary>
/// <remarks>
/// Implemented by structs so that <see cref="GemmDriver{T, TKernel}"/> is specialised per kernel by the
/// JIT: the tile shape becomes a constant and the kernel call is direct, not virtual.
/// When <paramref name="beta"/> is zero the kernel must not read C, which may hold NaN.
/// </remarks>
internal unsafe interface IGemmMicroKernel<T> where T : unmanaged
{
    /// <summary>MR: rows of C computed per call (number of broadcast A values per k step).</summary>
    static abstract int Rows { get; }

    /// <summary>NR: columns of C computed per call (width of the vector loads from packed B).</summary>
    static abstract int Columns { get; }

    static abstract void Multiply(int kc, T* packedA, T* packedB, T alpha, T beta, T* c, nint ldc);
}

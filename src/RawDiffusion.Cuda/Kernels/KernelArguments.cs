using System.Runtime.CompilerServices;

namespace RawDiffusion.Cuda.Kernels;

/// <summary>A kernel's argument list, built in place on the caller's stack: each value is copied into inline storage
/// (8-byte aligned slots), and at launch cuLaunchKernel gets an array of pointers to those copies. Any unmanaged
/// value fits (pointers, scalars, a <see cref="StridedLayout"/> by value), nothing is boxed and nothing touches the
/// heap. Values must be added in the kernel's parameter order with the kernel's parameter types (nint for
/// pointers, long for long long, int for int, float/double as declared).</summary>
internal unsafe struct KernelArguments
{
    public const int MaxArguments = 24;
    /// <summary>CUDA's classic limit on a launch's parameter bytes, which the multi-tensor optimizer's table fills.</summary>
    public const int MaxBytes = 4096;

    [InlineArray(MaxBytes / sizeof(ulong))]
    struct Slots { ulong first; }

    [InlineArray(MaxArguments)]
    struct Offsets { ushort first; }

    Slots slots;
    Offsets offsets;
    int count;
    int used;

    public readonly int Count => count;

    public void Add<T>(T value) where T : unmanaged
    {
        int size = (sizeof(T) + 7) & ~7;
        if (count == MaxArguments) throw new InvalidOperationException($"a kernel launch takes at most {MaxArguments} arguments here");
        if (used + size > MaxBytes) throw new InvalidOperationException($"kernel arguments exceed {MaxBytes} bytes");
        Unsafe.WriteUnaligned(ref Unsafe.As<ulong, byte>(ref Unsafe.Add(ref slots[0], used / sizeof(ulong))), value);
        offsets[count++] = (ushort)used;
        used += size;
    }

    /// <summary>Calls <paramref name="use"/> with the kernelParams array (valid only during the call).</summary>
    public void WithPointers<TState>(TState state, delegate*<TState, void**, void> use)
    {
        var pointers = stackalloc void*[Math.Max(1, count)];
        fixed (ulong* storage = &slots[0])
        {
            for (int i = 0; i < count; i++) pointers[i] = (byte*)storage + offsets[i];
            use(state, pointers);
        }
    }
}

using RawDiffusion.Cuda.Kernels;
using RawDiffusion.Cuda.Memory;

namespace RawDiffusion.Cuda;

/// <summary>The launch layer every op family below uses: the kernel name for a dtype, host scalars as the kernel's
/// element type, pointer arithmetic, and the device's context, launcher and allocator. Each CudaBackend.&lt;Family&gt;.cs
/// holds an IBackend member (checking each operand's backend, dtype and extent) and, right below it, the overload on
/// raw device pointers that picks and launches the kernel of kernels/&lt;family&gt;.cu; tests call those overloads
/// directly.</summary>
public sealed partial class CudaBackend
{
    CudaContext context => device.Context;
    KernelLauncher launcher => device.Launcher;
    CudaCachingAllocator allocator => device.Allocator;

    /// <summary>The kernel name for a dtype: "unary" + Float32 gives "unary_f32".</summary>
    static string Typed(string family, DType dtype) => dtype switch
    {
        DType.Float32 => family + "_f32",
        DType.Float64 => family + "_f64",
        DType.Int32 => family + "_i32",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    static void RequireFloating(DType dtype, string primitive)
    {
        if (!dtype.IsFloating()) throw new ArgumentException($"{primitive} is not defined for {dtype} tensors");
    }

    /// <summary>Adds a host scalar as the kernel's T (float, double or int).</summary>
    static void AddScalar(ref KernelArguments arguments, DType dtype, double value)
    {
        switch (dtype)
        {
            case DType.Float32: arguments.Add((float)value); break;
            case DType.Float64: arguments.Add(value); break;
            default: arguments.Add(checked((int)value)); break;
        }
    }

    static nint Offset(nint pointer, long elements, DType dtype) => pointer + (nint)(elements * dtype.SizeOf());
}

using RawDiffusion.Cuda.Kernels;
using RawDiffusion.Cuda.Memory;

namespace RawDiffusion.Cuda.Primitives;

/// <summary>The host side of every CUDA primitive: argument checks, choice of kernel (contiguous or strided, float or
/// double), launch configuration, cuBLAS calls. Works on raw device pointers (already advanced to each operand's
/// element offset) plus shapes and strides, so the future CudaBackend only converts DeviceBuffers and StridedViews
/// into these calls. One partial file per op family, as CpuBackend.*.cs, each beside its kernels/*.cu.</summary>
internal sealed partial class CudaPrimitives(CudaContext context, KernelLauncher launcher, CudaCachingAllocator allocator)
{
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

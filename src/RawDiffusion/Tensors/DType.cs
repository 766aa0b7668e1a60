namespace RawDiffusion;

/// <summary>Element types a tensor can hold. Float64 exists for gradient checks on the CPU;
/// Int32 holds labels and indices (copy and gather only, no arithmetic).</summary>
public enum DType { Float32, Float64, Int32 }

public static class DTypeInfo
{
    public static int SizeOf(this DType dtype) => dtype switch
    {
        DType.Float32 => 4,
        DType.Float64 => 8,
        DType.Int32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    public static bool IsFloating(this DType dtype) => dtype is DType.Float32 or DType.Float64;
}

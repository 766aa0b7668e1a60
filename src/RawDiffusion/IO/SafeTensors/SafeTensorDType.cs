namespace RawDiffusion.IO;

/// <summary>Element types a safetensors header may name in its "dtype" field.</summary>
public enum SafeTensorDType
{
    BOOL,
    U8,
    I8,
    F8_E4M3,
    F8_E5M2,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    F64,
    I64,
    U64,
}

/// <summary>Byte sizes and header spellings of <see cref="SafeTensorDType"/>.</summary>
public static class SafeTensorDTypes
{
    private static readonly SafeTensorDType[] All = Enum.GetValues<SafeTensorDType>();

    /// <summary>The header spellings of every supported dtype, for error messages.</summary>
    internal static string SupportedNames { get; } = string.Join(", ", All.Select(HeaderName));

    public static int SizeInBytes(this SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.BOOL or SafeTensorDType.U8 or SafeTensorDType.I8
            or SafeTensorDType.F8_E4M3 or SafeTensorDType.F8_E5M2 => 1,
        SafeTensorDType.I16 or SafeTensorDType.U16 or SafeTensorDType.F16 or SafeTensorDType.BF16 => 2,
        SafeTensorDType.I32 or SafeTensorDType.U32 or SafeTensorDType.F32 => 4,
        SafeTensorDType.F64 or SafeTensorDType.I64 or SafeTensorDType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown safetensors dtype."),
    };

    /// <summary>The spelling used in the header's "dtype" field, e.g. "F32".</summary>
    public static string HeaderName(this SafeTensorDType dtype) =>
        Enum.IsDefined(dtype)
            ? dtype.ToString()
            : throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown safetensors dtype.");

    /// <summary>Parses a header spelling; the match is exact (case-sensitive), like the reference reader.</summary>
    public static bool TryParseHeaderName(string name, out SafeTensorDType dtype)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.ToString(), name, StringComparison.Ordinal))
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }

    /// <summary>True for dtypes whose values are integers (BOOL counts as 0/1), which ReadInt64 accepts.</summary>
    public static bool IsInteger(this SafeTensorDType dtype) => dtype is
        SafeTensorDType.BOOL or SafeTensorDType.U8 or SafeTensorDType.I8 or SafeTensorDType.I16
        or SafeTensorDType.U16 or SafeTensorDType.I32 or SafeTensorDType.U32 or SafeTensorDType.I64
        or SafeTensorDType.U64;
}

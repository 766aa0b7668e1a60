namespace RawDiffusion.IO;

/// <summary>
/// Maps .npy "descr" strings (numpy's dtype.str, e.g. '&lt;f4', '|u1') to element types.
/// Only little-endian data is supported; 1-byte types have no byte order and numpy writes '|'.
/// </summary>
internal static class NpyDescr
{
    private static readonly (string TypeCode, SafeTensorDType ElementType)[] Supported =
    [
        ("f2", SafeTensorDType.F16), ("f4", SafeTensorDType.F32), ("f8", SafeTensorDType.F64),
        ("i1", SafeTensorDType.I8), ("i2", SafeTensorDType.I16), ("i4", SafeTensorDType.I32), ("i8", SafeTensorDType.I64),
        ("u1", SafeTensorDType.U8), ("u2", SafeTensorDType.U16), ("u4", SafeTensorDType.U32), ("u8", SafeTensorDType.U64),
        ("b1", SafeTensorDType.BOOL),
    ];

    private static readonly string SupportedList = string.Join(", ", Supported.Select(entry => Canonical(entry.ElementType, entry.TypeCode)));

    public static string Canonical(SafeTensorDType elementType)
    {
        foreach ((string typeCode, SafeTensorDType candidate) in Supported)
        {
            if (candidate == elementType)
            {
                return Canonical(candidate, typeCode);
            }
        }
        throw new ArgumentOutOfRangeException(nameof(elementType), elementType, "No .npy descr for this element type.");
    }

    /// <summary>Parses a descr; <paramref name="problem"/> explains a refusal.</summary>
    public static bool TryParse(string descr, out SafeTensorDType elementType, out string problem)
    {
        elementType = default;
        string typeCode = descr.Length == 3 ? descr[1..] : "";
        int match = Array.FindIndex(Supported, entry => entry.TypeCode == typeCode);
        if (match < 0)
        {
            problem = $"unsupported descr '{descr}' (supported: {SupportedList})";
            return false;
        }
        SafeTensorDType candidate = Supported[match].ElementType;
        char byteOrder = descr[0];
        bool singleByte = candidate.SizeInBytes() == 1;
        if (byteOrder == '>' && !singleByte)
        {
            problem = $"descr '{descr}' is big-endian, which is not supported; re-save it little-endian, e.g. numpy.save(path, array.astype('<{typeCode}'))";
            return false;
        }
        if (byteOrder != '<' && !(singleByte && byteOrder is '|' or '>' or '='))
        {
            problem = $"descr '{descr}' does not state little-endian byte order ('<{typeCode}')";
            return false;
        }
        elementType = candidate;
        problem = "";
        return true;
    }

    private static string Canonical(SafeTensorDType elementType, string typeCode) =>
        (elementType.SizeInBytes() == 1 ? "|" : "<") + typeCode;
}

using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace RawDiffusion.IO;

/// <summary>
/// Converts little-endian raw elements of any <see cref="SafeTensorDType"/> to float, double or
/// long. The .npy reader uses the same dtype vocabulary, so both formats share this code.
/// </summary>
internal static class ElementConversion
{
    private static readonly float[] Float8E4M3Values = BuildFloat8E4M3Table();
    private static readonly float[] Float8E5M2Values = BuildFloat8E5M2Table();

    /// <summary>
    /// Fills <paramref name="destination"/> (one slot per element of <paramref name="source"/>).
    /// Integer targets accept only integer dtypes and throw <see cref="OverflowException"/> for
    /// a U64 value above <see cref="long.MaxValue"/>; float targets round to nearest.
    /// </summary>
    public static void Convert<T>(SafeTensorDType dtype, ReadOnlySpan<byte> source, Span<T> destination)
        where T : unmanaged, INumberBase<T>
    {
        int size = dtype.SizeInBytes();
        if (source.Length != destination.Length * size)
        {
            throw new ArgumentException(
                $"{source.Length} source bytes of {dtype} do not match {destination.Length} destination elements.");
        }
        if (IsSameRepresentation<T>(dtype) && BitConverter.IsLittleEndian)
        {
            source.CopyTo(MemoryMarshal.AsBytes(destination));
            return;
        }
        switch (dtype)
        {
            case SafeTensorDType.BOOL:
                for (int i = 0; i < destination.Length; i++) destination[i] = source[i] != 0 ? T.One : T.Zero;
                break;
            case SafeTensorDType.U8:
                for (int i = 0; i < destination.Length; i++) destination[i] = T.CreateChecked(source[i]);
                break;
            case SafeTensorDType.I8:
                for (int i = 0; i < destination.Length; i++) destination[i] = T.CreateChecked((sbyte)source[i]);
                break;
            case SafeTensorDType.F8_E4M3:
                for (int i = 0; i < destination.Length; i++) destination[i] = T.CreateChecked(Float8E4M3Values[source[i]]);
                break;
            case SafeTensorDType.F8_E5M2:
                for (int i = 0; i < destination.Length; i++) destination[i] = T.CreateChecked(Float8E5M2Values[source[i]]);
                break;
            case SafeTensorDType.I16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = T.CreateChecked(BinaryPrimitives.ReadInt16LittleEndian(source[(2 * i)..]));
                break;
            case SafeTensorDType.U16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = T.CreateChecked(BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]));
                break;
            case SafeTensorDType.F16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = T.CreateChecked(BinaryPrimitives.ReadHalfLittleEndian(source[(2 * i)..]));
                break;
            case SafeTensorDType.BF16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = T.CreateChecked(BFloat16Bits.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..])));
                break;
            case SafeTensorDType.I32:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = T.CreateChecked(BinaryPrimitives.ReadInt32LittleEndian(source[(4 * i)..]));
                break;
            case SafeTensorDType.U32:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = T.CreateChecked(BinaryPrimitives.ReadUInt32LittleEndian(source[(4 * i)..]));
                break;
            case SafeTensorDType.F32:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = T.CreateChecked(BinaryPrimitives.ReadSingleLittleEndian(source[(4 * i)..]));
                break;
            case SafeTensorDType.F64:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = T.CreateChecked(BinaryPrimitives.ReadDoubleLittleEndian(source[(8 * i)..]));
                break;
            case SafeTensorDType.I64:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = T.CreateChecked(BinaryPrimitives.ReadInt64LittleEndian(source[(8 * i)..]));
                break;
            case SafeTensorDType.U64:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = T.CreateChecked(BinaryPrimitives.ReadUInt64LittleEndian(source[(8 * i)..]));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown safetensors dtype.");
        }
    }

    /// <summary>True when the raw bytes already are the target's in-memory layout on a little-endian machine.</summary>
    private static bool IsSameRepresentation<T>(SafeTensorDType dtype) =>
        (dtype == SafeTensorDType.F32 && typeof(T) == typeof(float))
        || (dtype == SafeTensorDType.F64 && typeof(T) == typeof(double))
        || (dtype == SafeTensorDType.I64 && typeof(T) == typeof(long));

    /// <summary>
    /// float8 e4m3 "fn" (the variant safetensors and PyTorch use): bias 7, no infinities,
    /// S.1111.111 is NaN, exponent 0 holds subnormals.
    /// </summary>
    private static float[] BuildFloat8E4M3Table()
    {
        var table = new float[256];
        for (int bits = 0; bits < 256; bits++)
        {
            int exponent = (bits >> 3) & 0xF;
            int mantissa = bits & 0x7;
            float magnitude = exponent == 0xF && mantissa == 0x7
                ? float.NaN
                : exponent == 0
                    ? MathF.ScaleB(mantissa, -9)
                    : MathF.ScaleB(8 + mantissa, exponent - 10);
            table[bits] = (bits & 0x80) != 0 ? -magnitude : magnitude;
        }
        return table;
    }

    /// <summary>float8 e5m2 is exactly the upper byte of an IEEE half, infinities and NaNs included.</summary>
    private static float[] BuildFloat8E5M2Table()
    {
        var table = new float[256];
        for (int bits = 0; bits < 256; bits++)
        {
            table[bits] = (float)BitConverter.UInt16BitsToHalf((ushort)(bits << 8));
        }
        return table;
    }
}

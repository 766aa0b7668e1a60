namespace RawDiffusion.IO;

/// <summary>
/// bfloat16 is the upper half of an IEEE float32, so conversions are bit manipulations on the
/// float's 32-bit pattern. .NET has no bfloat16 type, so values travel as their raw ushort bits.
/// </summary>
internal static class BFloat16Bits
{
    public static float ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Rounds to the nearest bfloat16, ties to even; NaN stays NaN and keeps its sign.</summary>
    public static ushort FromSingle(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            // Plain truncation could clear every payload bit and turn a NaN into infinity, so
            // force the quiet bit, which lies in the kept half.
            return (ushort)((bits >> 16) | 0x0040);
        }
        // Adding 0x7FFF rounds the upper half up when the lower half is above one half; adding
        // the kept half's lowest bit as well breaks an exact tie towards the even result. Carries
        // propagate into the exponent, which correctly rounds the largest finite values to infinity.
        uint lowestKeptBit = (bits >> 16) & 1;
        return (ushort)((bits + 0x7FFFu + lowestKeptBit) >> 16);
    }
}

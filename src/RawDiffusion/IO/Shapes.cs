namespace RawDiffusion.IO;

/// <summary>Shape and element-count helpers shared by the safetensors and .npy code.</summary>
internal static class Shapes
{
    /// <summary>Formats a shape the way the safetensors header spells it, e.g. "[2, 3]".</summary>
    public static string Format(IReadOnlyList<long> shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>
    /// Multiplies the dimensions left to right with overflow checks, like the reference reader,
    /// so a huge dimension is reported even if a later one is 0. Returns false on overflow.
    /// </summary>
    public static bool TryGetElementCount(IReadOnlyList<long> shape, out long elementCount)
    {
        long product = 1;
        foreach (long dimension in shape)
        {
            if (dimension != 0 && product > long.MaxValue / dimension)
            {
                elementCount = 0;
                return false;
            }
            product *= dimension;
        }
        elementCount = product;
        return true;
    }
}

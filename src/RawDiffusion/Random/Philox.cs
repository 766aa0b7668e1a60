namespace RawDiffusion;

/// <summary>Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"): a counter-based
/// generator, so any element of a stream can be computed independently — the property that lets CPU threads
/// and GPU kernels fill tensors reproducibly.</summary>
public static class Philox
{
    const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>Four random words for a 64-bit key and a 64-bit counter (the upper counter words are zero).</summary>
    public static void Block(ulong key, ulong counter, Span<uint> output) =>
        Block((uint)key, (uint)(key >> 32), (uint)counter, (uint)(counter >> 32), 0, 0, output);

    public static void Block(uint k0, uint k1, uint c0, uint c1, uint c2, uint c3, Span<uint> output)
    {
        for (int round = 0; round < 10; round++)
        {
            ulong p0 = (ulong)M0 * c0, p1 = (ulong)M1 * c2;
            uint hi0 = (uint)(p0 >> 32), lo0 = (uint)p0, hi1 = (uint)(p1 >> 32), lo1 = (uint)p1;
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0);
            k0 += W0;
            k1 += W1;
        }
        output[0] = c0; output[1] = c1; output[2] = c2; output[3] = c3;
    }

    /// <summary>Maps 32 random bits to [0, 1).</summary>
    public static double ToUnit(uint bits) => bits * (1.0 / 4294967296.0);
}

namespace RawDiffusion;

/// <summary>A seeded source of random streams. Each request reserves a fresh range of Philox counters, so the
/// same seed and the same sequence of requests give the same numbers on a backend, whatever the threading.</summary>
public sealed class Generator
{
    long counter;

    public Generator(ulong seed) => Seed = seed;

    public ulong Seed { get; }

    /// <summary>The process-wide generator used when none is given; reseed it with <see cref="SetDefaultSeed"/>.</summary>
    public static Generator Default { get; private set; } = new(0x5EED);

    public static void SetDefaultSeed(ulong seed) => Default = new Generator(seed);

    /// <summary>Reserves counters for <paramref name="count"/> values and returns the first one.</summary>
    public ulong Advance(long count) => (ulong)(Interlocked.Add(ref counter, (count + 3) / 4 + 1) - ((count + 3) / 4 + 1));

    /// <summary>A host-side integer stream derived from this generator (for shuffles and sampling indices).</summary>
    /// <remarks>System.Random takes a 31-bit seed, so seed and counter are mixed through full-avalanche bijections
    /// before truncating: keeping only high bits of a plain product would drop the low bits where small seeds differ,
    /// giving every seed below 2^33 the same stream.</remarks>
    public System.Random HostRandom() => new((int)(Mix(Mix(Seed) ^ Advance(4)) >> 33));

    /// <summary>The SplitMix64 finalizer: a bijection on 64-bit values in which every input bit affects every output bit.</summary>
    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A random order of 0..n-1 drawn from this generator's stream.</summary>
    public int[] Permutation(int n)
    {
        var order = Enumerable.Range(0, n).ToArray();
        HostRandom().Shuffle(order);
        return order;
    }
}

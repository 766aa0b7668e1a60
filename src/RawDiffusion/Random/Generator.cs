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
    public System.Random HostRandom() => new((int)((Seed ^ (Advance(4) * 0x9E3779B97F4A7C15UL)) >> 33));

    /// <summary>A random order of 0..n-1 drawn from this generator's stream.</summary>
    public int[] Permutation(int n)
    {
        var order = Enumerable.Range(0, n).ToArray();
        HostRandom().Shuffle(order);
        return order;
    }
}

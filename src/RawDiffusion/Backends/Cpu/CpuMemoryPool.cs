namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// Keeps the arrays of disposed CPU buffers for reuse by later buffers of the same element type and length: the CPU
/// backend's caching allocator. A training step allocates the same activations and gradients (hundreds of MB of
/// large-object-heap arrays) every step, and without reuse each one is fresh memory that the kernel must fault in
/// and zero page by page, and that the GC must collect and decommit again: about 40% of a d2nwg-small UNet step in
/// a profile, and the weight-VAE step went from 6.4 s to 1.8 s with the pool (2-core EPYC). Disposal through
/// <see cref="Storage"/> reference counting tells exactly when an array is free, so a later step takes it back untouched.
/// <para>Arrays below <see cref="MinimumPooledBytes"/> are left to the GC, whose small-object allocation is cheap.
/// The pool holds at most <see cref="Capacity"/> bytes; an array that would exceed it flushes the whole pool to the
/// GC first, so a new working set (another model, another batch size) replaces the old one instead of being refused.
/// When the machine runs short of memory (the GC's high memory load threshold) the pool empties and keeps nothing.</para>
/// </summary>
internal static class CpuMemoryPool
{
    /// <summary>Smallest array kept (the large-object-heap threshold is 85,000 bytes).</summary>
    internal const int MinimumPooledBytes = 64 * 1024;

    /// <summary>Most bytes kept: a quarter of the memory the GC may use (the machine's, or the container's limit).</summary>
    internal static readonly long Capacity = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4;

    static readonly Dictionary<(Type Element, int Length), Stack<Array>> free = [];
    static readonly Lock gate = new();
    static long pooledBytes;
    static int pressureCheckedAt = -1;
    static bool underPressure;

    /// <summary>Bytes currently held for reuse.</summary>
    internal static long PooledBytes
    {
        get
        {
            lock (gate) return pooledBytes;
        }
    }

    /// <summary>An array of exactly <paramref name="length"/> elements with unspecified contents (a recycled one when
    /// the pool has it, else a new uninitialised one).</summary>
    public static T[] Rent<T>(int length) where T : unmanaged
    {
        if (Bytes<T>(length) >= MinimumPooledBytes)
        {
            lock (gate)
            {
                if (free.TryGetValue((typeof(T), length), out var stack) && stack.TryPop(out var array))
                {
                    pooledBytes -= Bytes<T>(length);
                    return (T[])array;
                }
            }
        }
        return GC.AllocateUninitializedArray<T>(length);
    }

    /// <summary>Takes back an array that nothing reads or writes any more.</summary>
    public static void Return<T>(T[] array) where T : unmanaged
    {
        long bytes = Bytes<T>(array.Length);
        if (bytes < MinimumPooledBytes || bytes > Capacity) return;
        if (UnderMemoryPressure())
        {
            Clear();
            return;
        }
        lock (gate)
        {
            if (pooledBytes + bytes > Capacity) Flush();
            var key = (typeof(T), array.Length);
            if (!free.TryGetValue(key, out var stack)) free[key] = stack = new Stack<Array>();
            stack.Push(array);
            pooledBytes += bytes;
        }
    }

    /// <summary>Hands every kept array to the GC.</summary>
    internal static void Clear()
    {
        lock (gate) Flush();
    }

    static void Flush()
    {
        free.Clear();
        pooledBytes = 0;
    }

    /// <summary>True when the last GC found the machine (or container) at its high memory load threshold: then kept
    /// arrays go back to the GC, which can return their memory to the system. The answer only changes with a GC, so it
    /// is read again only after one.</summary>
    static bool UnderMemoryPressure()
    {
        int collections = GC.CollectionCount(0);
        if (collections != Volatile.Read(ref pressureCheckedAt))
        {
            var info = GC.GetGCMemoryInfo();
            Volatile.Write(ref underPressure, info.HighMemoryLoadThresholdBytes > 0 && info.MemoryLoadBytes >= info.HighMemoryLoadThresholdBytes);
            Volatile.Write(ref pressureCheckedAt, collections);
        }
        return Volatile.Read(ref underPressure);
    }

    static long Bytes<T>(int length) where T : unmanaged => (long)length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
}

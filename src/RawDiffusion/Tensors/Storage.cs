using RawDiffusion.Backends;

namespace RawDiffusion;

/// <summary>Reference-counted owner of a buffer shared by a tensor and its views. The buffer is freed
/// when the last tensor that uses it is disposed.</summary>
public sealed class Storage
{
    int references;

    internal Storage(DeviceBuffer buffer) => Buffer = buffer;

    public DeviceBuffer Buffer { get; }
    public IBackend Backend => Buffer.Backend;
    public bool IsFreed => Volatile.Read(ref references) < 0;

    internal void Retain()
    {
        if (Interlocked.Increment(ref references) <= 0)
            throw new ObjectDisposedException(nameof(Storage), "a tensor's storage was used after its last tensor was disposed");
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref references) == 0)
        {
            Volatile.Write(ref references, int.MinValue / 2);
            Buffer.Dispose();
        }
    }
}

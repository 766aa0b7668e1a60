namespace RawDiffusion.Backends;

/// <summary>A flat allocation owned by one backend. Freed by Dispose (through <see cref="Storage"/>
/// reference counting), never by the garbage collector, so device memory has a deterministic lifetime.</summary>
public abstract class DeviceBuffer : IDisposable
{
    protected DeviceBuffer(DType dtype, long length)
    {
        DType = dtype;
        Length = length;
    }

    public DType DType { get; }
    public long Length { get; }
    public abstract IBackend Backend { get; }
    public abstract void Dispose();
}

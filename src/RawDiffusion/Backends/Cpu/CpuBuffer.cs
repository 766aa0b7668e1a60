using System.Runtime.InteropServices;

namespace RawDiffusion.Backends.Cpu;

/// <summary>Host memory for the CPU backend: a managed array of the dtype's element type, taken from and given back
/// to <see cref="CpuMemoryPool"/>.</summary>
internal sealed class CpuBuffer : DeviceBuffer
{
    int disposed;

    public CpuBuffer(DType dtype, long length) : base(dtype, length)
    {
        if (length > System.Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"the CPU backend holds at most {System.Array.MaxLength} elements per tensor");
        int n = (int)length;
        Data = dtype switch
        {
            DType.Float32 => CpuMemoryPool.Rent<float>(n),
            DType.Float64 => CpuMemoryPool.Rent<double>(n),
            DType.Int32 => CpuMemoryPool.Rent<int>(n),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
        };
    }

    public Array Data { get; }

    public override IBackend Backend => CpuBackend.Instance;

    public T[] Array<T>() where T : unmanaged => (T[])Data;

    public Span<byte> Bytes => DType switch
    {
        DType.Float32 => MemoryMarshal.AsBytes(Array<float>().AsSpan()),
        DType.Float64 => MemoryMarshal.AsBytes(Array<double>().AsSpan()),
        _ => MemoryMarshal.AsBytes(Array<int>().AsSpan()),
    };

    /// <summary>Returns the array to the pool for the next buffer of its length. <see cref="Storage"/> calls this once,
    /// after its last tensor is disposed; a buffer that is never disposed is simply left to the GC.</summary>
    public override void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        switch (Data)
        {
            case float[] values: CpuMemoryPool.Return(values); break;
            case double[] values: CpuMemoryPool.Return(values); break;
            case int[] values: CpuMemoryPool.Return(values); break;
        }
    }
}

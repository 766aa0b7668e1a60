using System.Runtime.InteropServices;

namespace RawDiffusion.Backends.Cpu;

/// <summary>Host memory for the CPU backend: a managed array of the dtype's element type.</summary>
internal sealed class CpuBuffer : DeviceBuffer
{
    public CpuBuffer(DType dtype, long length) : base(dtype, length)
    {
        if (length > System.Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"the CPU backend holds at most {System.Array.MaxLength} elements per tensor");
        int n = (int)length;
        Data = dtype switch
        {
            DType.Float32 => GC.AllocateUninitializedArray<float>(n),
            DType.Float64 => GC.AllocateUninitializedArray<double>(n),
            DType.Int32 => GC.AllocateUninitializedArray<int>(n),
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

    /// <summary>Managed memory is reclaimed by the GC; there is nothing to release early.</summary>
    public override void Dispose() { }
}

namespace RawDiffusion.Backends;

/// <summary>Gather and scatter-add along one axis. Data blocks are contiguous and seen as [outer, n, inner]
/// (n = the indexed axis); index buffers hold Int32. Ops check index ranges with <see cref="FindIndexOutOfRange"/>
/// first, so the other primitives may assume every index lies in [0, n).</summary>
public partial interface IBackend
{
    /// <summary>Position (counted from <paramref name="offset"/>) of the first of <paramref name="count"/> Int32 indices
    /// outside [0, <paramref name="limit"/>), or -1 when all are valid.</summary>
    long FindIndexOutOfRange(DeviceBuffer indices, long offset, long count, int limit);

    /// <summary>destination[o, j, i] = source[o, index[j], i]: source [outer, n, inner], index [k], destination [outer, k, inner].
    /// Any dtype (indices and labels can be selected too).</summary>
    void IndexSelect(DeviceBuffer source, long sourceOffset, DeviceBuffer index, long indexOffset,
                     DeviceBuffer destination, long destinationOffset, int outer, int n, int k, int inner);

    /// <summary>destination[o, index[j], i] += source[o, j, i]: source [outer, k, inner], index [k], destination [outer, n, inner].
    /// Repeated indices accumulate (the gradient of <see cref="IndexSelect"/>).</summary>
    void IndexAdd(DeviceBuffer source, long sourceOffset, DeviceBuffer index, long indexOffset,
                  DeviceBuffer destination, long destinationOffset, int outer, int n, int k, int inner);

    /// <summary>destination[o, j, i] = source[o, index[o, j, i], i]: source [outer, n, inner], index and destination
    /// [outer, k, inner] (torch.gather). Any dtype.</summary>
    void Gather(DeviceBuffer source, long sourceOffset, DeviceBuffer index, long indexOffset,
                DeviceBuffer destination, long destinationOffset, int outer, int n, int k, int inner);

    /// <summary>destination[o, index[o, j, i], i] += source[o, j, i]: source and index [outer, k, inner], destination
    /// [outer, n, inner]. Repeated indices accumulate (the gradient of <see cref="Gather"/>).</summary>
    void ScatterAdd(DeviceBuffer source, long sourceOffset, DeviceBuffer index, long indexOffset,
                    DeviceBuffer destination, long destinationOffset, int outer, int n, int k, int inner);
}

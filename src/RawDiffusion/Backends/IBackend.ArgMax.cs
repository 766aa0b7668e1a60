namespace RawDiffusion.Backends;

public partial interface IBackend
{
    /// <summary>For each (outer, inner) position of a contiguous [outer, n, inner] block (n &gt; 0), the index along
    /// the middle axis of its largest element, written as Int32 to a contiguous [outer, inner] block. Ties give
    /// the first index; NaN counts as larger than any number (the first NaN wins), as in PyTorch.</summary>
    void ArgMax(DeviceBuffer x, long xOffset, DeviceBuffer indices, long indicesOffset, int outer, int n, int inner);
}

namespace RawDiffusion.Backends;

/// <summary>How a backend primitive sees a tensor: a buffer, an element offset, a shape and strides
/// (in elements; 0 for broadcast dimensions).</summary>
public readonly record struct StridedView(DeviceBuffer Buffer, long Offset, int[] Shape, long[] Strides)
{
    public int Rank => Shape.Length;
    public long Numel => ShapeMath.Numel(Shape);
    public bool IsContiguous => ShapeMath.IsContiguous(Shape, Strides);

    public static StridedView Contiguous(DeviceBuffer buffer, long offset, int[] shape) =>
        new(buffer, offset, shape, ShapeMath.ContiguousStrides(shape));

    public StridedView WithShape(int[] shape, long[] strides) => new(Buffer, Offset, shape, strides);
}

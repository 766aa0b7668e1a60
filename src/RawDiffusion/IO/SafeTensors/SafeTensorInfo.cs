namespace RawDiffusion.IO;

/// <summary>
/// One validated tensor entry of a safetensors header. <see cref="Begin"/> and <see cref="End"/>
/// are byte offsets relative to the start of the data buffer (which follows the header).
/// </summary>
public sealed class SafeTensorInfo
{
    public SafeTensorInfo(string name, SafeTensorDType dtype, long[] shape, long begin, long end, long elementCount)
    {
        Name = name;
        DType = dtype;
        Shape = shape;
        Begin = begin;
        End = end;
        ElementCount = elementCount;
    }

    public string Name { get; }

    public SafeTensorDType DType { get; }

    /// <summary>Dimensions, outermost first; empty for a scalar.</summary>
    public long[] Shape { get; }

    public long Begin { get; }

    public long End { get; }

    /// <summary>Product of <see cref="Shape"/>; 1 for a scalar, 0 when any dimension is 0.</summary>
    public long ElementCount { get; }

    public long ByteLength => End - Begin;

    public override string ToString() =>
        $"{Name}: {DType.HeaderName()} {Shapes.Format(Shape)} [{Begin}, {End})";
}

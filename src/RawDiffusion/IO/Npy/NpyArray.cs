using System.Numerics;

namespace RawDiffusion.IO;

/// <summary>An array read from a .npy file, held as little-endian bytes in row-major (C) order.</summary>
public sealed class NpyArray
{
    private readonly SafeTensorDType elementType;
    private readonly byte[] rowMajorBytes;

    internal NpyArray(string descr, long[] shape, long elementCount, SafeTensorDType elementType, byte[] rowMajorBytes)
    {
        Descr = descr;
        Shape = shape;
        ElementCount = elementCount;
        this.elementType = elementType;
        this.rowMajorBytes = rowMajorBytes;
    }

    /// <summary>Dimensions, outermost first; empty for a scalar.</summary>
    public long[] Shape { get; }

    /// <summary>The dtype as the file spells it, e.g. "&lt;f4" or "|u1".</summary>
    public string Descr { get; }

    public long ElementCount { get; }

    /// <summary>Converts any dtype to float, rounding to nearest where float cannot hold the value exactly.</summary>
    public float[] ToFloat32() => Convert<float>();

    /// <summary>Converts any dtype to double (64-bit integers beyond 2^53 round to nearest).</summary>
    public double[] ToFloat64() => Convert<double>();

    /// <summary>Converts an integer or bool array; float arrays are refused rather than truncated.</summary>
    public long[] ToInt64()
    {
        if (!elementType.IsInteger())
        {
            throw new InvalidOperationException($"descr '{Descr}' holds floats; ToInt64 needs an integer or bool array");
        }
        try
        {
            return Convert<long>();
        }
        catch (OverflowException exception)
        {
            throw new OverflowException($"descr '{Descr}' array holds a value above Int64.MaxValue", exception);
        }
    }

    private T[] Convert<T>() where T : unmanaged, INumberBase<T>
    {
        var result = new T[ElementCount];
        ElementConversion.Convert(elementType, rowMajorBytes, result);
        return result;
    }
}

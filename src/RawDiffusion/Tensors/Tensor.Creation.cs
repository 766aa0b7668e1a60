using System.Runtime.InteropServices;
using RawDiffusion.Backends;

namespace RawDiffusion;

public sealed partial class Tensor
{
    /// <summary>A new contiguous tensor with uninitialised contents.</summary>
    public static Tensor Empty(ReadOnlySpan<int> shape, DType? dtype = null, IBackend? backend = null)
    {
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"negative dimension in shape {ShapeMath.Format(shape)}", nameof(shape));
        backend ??= Backends.Backend.Default;
        var dims = shape.ToArray();
        var buffer = backend.Allocate(dtype ?? DefaultDType.Current, ShapeMath.Numel(dims));
        return new Tensor(new Storage(buffer), dims, ShapeMath.ContiguousStrides(dims), 0);
    }

    public static Tensor Full(ReadOnlySpan<int> shape, double value, DType? dtype = null, IBackend? backend = null)
    {
        var t = Empty(shape, dtype, backend);
        t.Backend.Fill(t.View, value);
        return t;
    }

    public static Tensor Zeros(ReadOnlySpan<int> shape, DType? dtype = null, IBackend? backend = null) => Full(shape, 0, dtype, backend);
    public static Tensor Ones(ReadOnlySpan<int> shape, DType? dtype = null, IBackend? backend = null) => Full(shape, 1, dtype, backend);
    public static Tensor Scalar(double value, DType? dtype = null, IBackend? backend = null) => Full([], value, dtype, backend);

    public Tensor ZerosLike() => Zeros(shape, DType, Backend);
    public Tensor OnesLike() => Ones(shape, DType, Backend);
    public Tensor EmptyLike() => Empty(shape, DType, Backend);

    public static Tensor FromArray(float[] data, params int[] shape) => FromSpan<float>(data, shape, DType.Float32, null);
    public static Tensor FromArray(double[] data, params int[] shape) => FromSpan<double>(data, shape, DType.Float64, null);
    public static Tensor FromArray(int[] data, params int[] shape) => FromSpan<int>(data, shape, DType.Int32, null);

    /// <summary>Copies host data into a new tensor on <paramref name="backend"/> (the default backend when null).</summary>
    public static Tensor FromSpan<T>(ReadOnlySpan<T> data, int[] shape, DType dtype, IBackend? backend) where T : unmanaged
    {
        if (ShapeMath.Numel(shape) != data.Length)
            throw new ArgumentException($"{data.Length} values cannot fill shape {ShapeMath.Format(shape)} ({ShapeMath.Numel(shape)} elements)", nameof(data));
        CheckHostType<T>(dtype);
        var t = Empty(shape, dtype, backend);
        t.Backend.Upload(data, t.Storage.Buffer, 0);
        return t;
    }

    /// <summary>Uniform on [low, high) from <paramref name="generator"/> (the default generator when null).</summary>
    public static Tensor Rand(ReadOnlySpan<int> shape, Generator? generator = null, double low = 0, double high = 1, DType? dtype = null, IBackend? backend = null) =>
        Random(RandomDistribution.Uniform, shape, generator, low, high, dtype, backend);

    /// <summary>Normal with the given mean and standard deviation.</summary>
    public static Tensor Randn(ReadOnlySpan<int> shape, Generator? generator = null, double mean = 0, double std = 1, DType? dtype = null, IBackend? backend = null) =>
        Random(RandomDistribution.Normal, shape, generator, mean, std, dtype, backend);

    static Tensor Random(RandomDistribution distribution, ReadOnlySpan<int> shape, Generator? generator, double a, double b, DType? requested, IBackend? backend)
    {
        var dtype = requested ?? DefaultDType.Current;
        if (!dtype.IsFloating()) throw new ArgumentException($"random tensors must be floating point, not {dtype}", nameof(dtype));
        generator ??= Generator.Default;
        var t = Empty(shape, dtype, backend);
        var counter = generator.Advance(t.Numel);
        t.Backend.FillRandom(distribution, t.Storage.Buffer, 0, t.Numel, generator.Seed, counter, a, b);
        return t;
    }

    /// <summary>The elements in row-major order, as <typeparamref name="T"/> (which must match the dtype).</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        CheckHostType<T>(DType);
        ThrowIfDisposed();
        var src = IsContiguous ? this : Kernels.Copy(this);
        var result = new T[Numel];
        src.Backend.Download<T>(src.Storage.Buffer, src.Offset, result);
        if (!ReferenceEquals(src, this)) src.Dispose();
        return result;
    }

    public float[] ToFloat32Array() => DType switch
    {
        DType.Float32 => ToArray<float>(),
        DType.Float64 => Array.ConvertAll(ToArray<double>(), v => (float)v),
        _ => Array.ConvertAll(ToArray<int>(), v => (float)v),
    };

    public double[] ToFloat64Array() => DType switch
    {
        DType.Float64 => ToArray<double>(),
        DType.Float32 => Array.ConvertAll(ToArray<float>(), v => (double)v),
        _ => Array.ConvertAll(ToArray<int>(), v => (double)v),
    };

    /// <summary>The value of a single-element tensor.</summary>
    public double Item()
    {
        if (Numel != 1) throw new InvalidOperationException($"Item() needs a single-element tensor, got shape {ShapeMath.Format(shape)}");
        return ToFloat64Array()[0];
    }

    /// <summary>Copies this tensor to another backend (or dtype), as a new leaf.</summary>
    public Tensor To(IBackend backend)
    {
        if (ReferenceEquals(backend, Backend)) return this;
        var result = Empty(shape, DType, backend);
        switch (DType)
        {
            case DType.Float32: backend.Upload<float>(ToArray<float>(), result.Storage.Buffer, 0); break;
            case DType.Float64: backend.Upload<double>(ToArray<double>(), result.Storage.Buffer, 0); break;
            default: backend.Upload<int>(ToArray<int>(), result.Storage.Buffer, 0); break;
        }
        result.RequiresGrad = RequiresGrad;
        return result;
    }

    static void CheckHostType<T>(DType dtype) where T : unmanaged
    {
        bool ok = dtype switch
        {
            DType.Float32 => typeof(T) == typeof(float),
            DType.Float64 => typeof(T) == typeof(double),
            DType.Int32 => typeof(T) == typeof(int),
            _ => false,
        };
        if (!ok) throw new ArgumentException($"host type {typeof(T).Name} does not match tensor dtype {dtype}");
    }
}

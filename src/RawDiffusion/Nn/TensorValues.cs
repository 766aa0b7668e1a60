namespace RawDiffusion.Nn;

/// <summary>Copies values between tensors that may differ in dtype or backend (loading weights saved elsewhere).</summary>
internal static class TensorValues
{
    /// <summary>Overwrites contiguous <paramref name="target"/> with <paramref name="source"/>'s values (same shape):
    /// a device copy when backend and dtype agree, otherwise a conversion through host memory.</summary>
    public static void Assign(Tensor target, Tensor source)
    {
        if (ReferenceEquals(target.Backend, source.Backend) && target.DType == source.DType)
        {
            target.CopyFrom(source);
            return;
        }
        var buffer = target.Storage.Buffer;
        switch (target.DType)
        {
            case DType.Float32: target.Backend.Upload<float>(source.ToFloat32Array(), buffer, target.Offset); break;
            case DType.Float64: target.Backend.Upload<double>(source.ToFloat64Array(), buffer, target.Offset); break;
            default: target.Backend.Upload<int>(Array.ConvertAll(source.ToFloat64Array(), v => checked((int)v)), buffer, target.Offset); break;
        }
    }

    /// <summary>Host copy of float32 values into contiguous <paramref name="target"/>, converting to its dtype.</summary>
    public static void Assign(Tensor target, float[] values)
    {
        if (values.Length != target.Numel)
            throw new ArgumentException($"{values.Length} values cannot fill a tensor of shape {ShapeMath.Format(target.Shape)}", nameof(values));
        var buffer = target.Storage.Buffer;
        switch (target.DType)
        {
            case DType.Float32: target.Backend.Upload<float>(values, buffer, target.Offset); break;
            case DType.Float64: target.Backend.Upload<double>(Array.ConvertAll(values, v => (double)v), buffer, target.Offset); break;
            default: target.Backend.Upload<int>(Array.ConvertAll(values, v => checked((int)v)), buffer, target.Offset); break;
        }
    }
}

namespace RawDiffusion;

/// <summary>The element type of new tensors (and so of new modules' parameters) when none is named: float32 unless a
/// region asks otherwise, like torch.set_default_dtype. Gradient checks build whole models in float64 this way.
/// <code>using (DefaultDType.Use(DType.Float64)) { var block = new ResBlock(...); }</code></summary>
public static class DefaultDType
{
    [ThreadStatic] static DType? current;

    public static DType Current => current ?? DType.Float32;

    public static IDisposable Use(DType dtype)
    {
        if (!dtype.IsFloating()) throw new ArgumentException($"the default dtype must be floating point, not {dtype}", nameof(dtype));
        var previous = current;
        current = dtype;
        return new Restore(previous);
    }

    sealed class Restore(DType? previous) : IDisposable
    {
        bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            current = previous;
        }
    }
}

namespace RawDiffusion.Ops;

/// <summary>A contiguous version of a tensor for one kernel call: the tensor itself when it is already contiguous,
/// otherwise a temporary copy that is disposed with the lease (device memory is not left to a scope).
/// <code>using var xc = new ContiguousLease(x);</code></summary>
internal readonly struct ContiguousLease(Tensor source) : IDisposable
{
    public Tensor Tensor { get; } = source.IsContiguous ? source : Kernels.Copy(source);

    public void Dispose()
    {
        if (!ReferenceEquals(Tensor, source)) Tensor.Dispose();
    }
}

using RawDiffusion.Backends;

namespace RawDiffusion;

/// <summary>An n-dimensional array on one backend: a shared <see cref="Storage"/> seen through a shape, strides
/// and an offset (so reshape, transpose, slice and expand are cheap views), plus autograd state.
/// Operations live in the other Tensor.*.cs files and in the Ops folder.</summary>
public sealed partial class Tensor : IDisposable
{
    readonly int[] shape;
    readonly long[] strides;
    bool disposed;

    internal Tensor(Storage storage, int[] shape, long[] strides, long offset)
    {
        storage.Retain();
        Storage = storage;
        this.shape = shape;
        this.strides = strides;
        Offset = offset;
        DisposeScope.Register(this);
    }

    public Storage Storage { get; }
    public IBackend Backend => Storage.Backend;
    public DType DType => Storage.Buffer.DType;
    public ReadOnlySpan<int> Shape => shape;
    public int[] ShapeArray => (int[])shape.Clone();
    public ReadOnlySpan<long> Strides => strides;
    public long Offset { get; }
    public int Rank => shape.Length;
    public long Numel => ShapeMath.Numel(shape);
    public bool IsContiguous => ShapeMath.IsContiguous(shape, strides);
    public bool IsDisposed => disposed;

    /// <summary>Size of dimension <paramref name="axis"/> (negative counts from the end).</summary>
    public int Size(int axis) => shape[ShapeMath.NormalizeAxis(axis, Rank)];

    /// <summary>Whether gradients flow to this tensor. Set on leaves (parameters); outputs of operations on
    /// such tensors get it automatically.</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>Accumulated gradient of a leaf after <see cref="Backward"/>; owned by this tensor, outside any scope.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The operation that produced this tensor (null for leaves and for tensors made under NoGrad).</summary>
    public Function? GradFn { get; internal set; }

    public bool IsLeaf => GradFn == null;

    public string? Name { get; set; }

    internal StridedView View
    {
        get
        {
            ThrowIfDisposed();
            return new StridedView(Storage.Buffer, Offset, shape, strides);
        }
    }

    /// <summary>Computes gradients of this tensor with respect to every leaf that requires them.</summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false) => BackwardEngine.Run(this, gradient, retainGraph);

    internal void ReleaseGraph() => GradFn = null;

    /// <summary>A view of the same data that is cut off from the graph.</summary>
    public Tensor Detach() => new(Storage, shape, strides, Offset);

    /// <summary>Sets Grad to null (the optimizers call this between steps).</summary>
    public void ZeroGrad()
    {
        Grad?.Dispose();
        Grad = null;
    }

    internal void ThrowIfDisposed()
    {
        if (disposed) throw new ObjectDisposedException(Name ?? $"Tensor{ShapeMath.Format(shape)}", "the tensor was disposed (by Dispose or by the end of its DisposeScope)");
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        GradFn = null;
        Storage.Release();
    }

    public override string ToString()
    {
        var head = $"Tensor{ShapeMath.Format(shape)} {DType} on {Backend.Name}";
        if (disposed) return head + " (disposed)";
        if (Numel > 16) return head;
        var values = ToFloat64Array();
        return head + " {" + string.Join(", ", values.Select(v => v.ToString("G6"))) + "}";
    }
}

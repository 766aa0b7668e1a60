using RawDiffusion.Backends;

namespace RawDiffusion.Nn;

/// <summary>A lookup table of learned vectors, indexed by Int32 tensors (class ids, chunk indices, task ids).</summary>
public sealed class Embedding : Module
{
    public Embedding(int count, int dim, Generator? generator = null, DType? dtype = null, IBackend? backend = null)
    {
        Count = count;
        Dim = dim;
        using (DisposeScope.Suspend()) Weight = RegisterParameter("weight", Tensor.Empty([count, dim], dtype, backend));
        Init.Normal(Weight, 0, 1, generator);
    }

    public int Count { get; }
    public int Dim { get; }
    public Tensor Weight { get; }

    public Tensor Forward(Tensor indices) => F.Embedding(indices, Weight);
}

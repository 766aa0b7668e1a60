using RawDiffusion.Ops;

namespace RawDiffusion;

public static partial class F
{
    /// <summary>Embedding lookup, as torch.nn.functional.embedding: Int32 <paramref name="indices"/> of any shape [...]
    /// pick rows of <paramref name="weight"/> [num, dim], giving [..., dim]. Indices must lie in [0, num); the weight
    /// gradient accumulates over repeated indices.</summary>
    public static Tensor Embedding(Tensor indices, Tensor weight) => EmbeddingFunction.Apply(indices, weight);
}

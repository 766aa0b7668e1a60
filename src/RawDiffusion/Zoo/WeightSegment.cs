namespace RawDiffusion.Zoo;

/// <summary>
/// One contiguous run of a tensor's flattened values inside a weight vector: values
/// [<see cref="Offset"/>, <see cref="Offset"/> + <see cref="Length"/>) of <see cref="Tensor"/> lie at
/// [<see cref="VectorOffset"/>, <see cref="VectorOffset"/> + <see cref="Length"/>) of the vector.
/// In a model-wise layout there is one segment per tensor; in a layer-wise layout one per chunk, and
/// <see cref="Index"/> is the global chunk index (the chunk occupies [Index * ChunkSize, (Index + 1) * ChunkSize),
/// its values past <see cref="Length"/> being zero padding).
/// </summary>
public sealed record WeightSegment(int Index, string Tensor, int TensorIndex, int Offset, int Length, int VectorOffset);

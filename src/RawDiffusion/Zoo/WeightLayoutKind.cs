namespace RawDiffusion.Zoo;

/// <summary>How a network's tensors are laid out as diffusion samples (see <see cref="WeightVectorizer"/>).</summary>
public enum WeightLayoutKind
{
    /// <summary>All tensors concatenated in state-dict order into one vector per model, zero-padded at the end.</summary>
    ModelWise,

    /// <summary>Each tensor cut into fixed-size chunks (the last one zero-padded), so a model is [ChunkCount, ChunkSize].</summary>
    LayerWise,
}

namespace RawDiffusion.Models;

/// <summary>What a <see cref="UNet"/> is conditioned on; any combination. Map: [B, ConditionMapChannels, S, S]
/// concatenated to the input; ClassIndex: Int32 [B]; Vector: [B, ConditionVectorLength]. A null member (or a null
/// condition) is the unconditional case used by classifier-free guidance. ClassWeights [B, ClassCount + 1], instead of
/// ClassIndex: a weighted sum of the learned class embeddings (the null class last), e.g. a point between two task ids
/// when interpolating; one-hot weights give exactly that class's embedding.</summary>
public sealed record UNetCondition(Tensor? Map = null, Tensor? ClassIndex = null, Tensor? Vector = null, Tensor? ClassWeights = null);

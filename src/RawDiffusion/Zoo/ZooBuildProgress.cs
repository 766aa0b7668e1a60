using RawDiffusion.Training;

namespace RawDiffusion.Zoo;

/// <summary>
/// Progress of a zoo build: job <see cref="Job"/> of the shard's <see cref="Jobs"/> (1-based), its task and seed,
/// and either a finished epoch (<see cref="Epoch"/>) or, with <see cref="Skipped"/>, a job whose checkpoints were
/// already on disk.
/// </summary>
public sealed record ZooBuildProgress(int Job, int Jobs, string TaskId, int Seed, int Epochs, EpochResult? Epoch, bool Skipped);

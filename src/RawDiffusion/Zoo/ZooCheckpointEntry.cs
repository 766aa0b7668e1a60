namespace RawDiffusion.Zoo;

/// <summary>
/// One trained network of the zoo: its checkpoint file (relative to the zoo folder), the task it solves, the seed
/// and epoch it was taken at, and its accuracies (null where unknown, e.g. imported without them).
/// </summary>
public sealed record ZooCheckpointEntry
{
    public string File { get; init; } = "";
    public string Task { get; init; } = "";
    public int Seed { get; init; }
    public int Epoch { get; init; }
    public double? TrainAccuracy { get; init; }
    public double? TestAccuracy { get; init; }

    /// <summary>Where a checkpoint of this task, seed and epoch lives in a zoo folder.</summary>
    public static string PathFor(string taskId, int seed, int epoch) =>
        $"checkpoints/{ZooTask.FolderName(taskId)}/seed{seed}-epoch{epoch}.safetensors";
}

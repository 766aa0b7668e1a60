namespace RawDiffusion.Zoo;

/// <summary>Where the zoo's training and test rows came from, as free text (a dataset name, a folder, a split).</summary>
public sealed record ZooData
{
    public string Domain { get; init; } = "";
    public string Train { get; init; } = "";
    public string Test { get; init; } = "";
}

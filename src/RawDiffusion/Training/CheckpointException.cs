namespace RawDiffusion.Training;

/// <summary>A checkpoint does not fit what it is loaded into (a missing or unexpected key, a wrong shape, another
/// optimizer) or its metadata is unreadable. The message starts with the file's name and names the key.</summary>
public sealed class CheckpointException : Exception
{
    public CheckpointException(string filePath, string problem, Exception? innerException = null)
        : base($"{Path.GetFileName(filePath)}: {problem}", innerException)
    {
        FilePath = filePath;
    }

    /// <summary>Full path of the checkpoint.</summary>
    public string FilePath { get; }
}

namespace RawDiffusion.IO;

/// <summary>
/// A .npy file is malformed or uses a feature this reader does not support. The message always
/// starts with the file's name, followed by exactly what is wrong.
/// </summary>
public sealed class NpyFormatException : FormatException
{
    public NpyFormatException(string filePath, string problem, Exception? innerException = null)
        : base($"{Path.GetFileName(filePath)}: {problem}", innerException)
    {
        FilePath = filePath;
    }

    /// <summary>Full path of the file the problem was found in.</summary>
    public string FilePath { get; }
}

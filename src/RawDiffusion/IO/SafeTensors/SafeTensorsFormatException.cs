namespace RawDiffusion.IO;

/// <summary>
/// A safetensors file or sharded-checkpoint index is malformed. The message always starts with
/// the offending file's name, followed by exactly what is wrong.
/// </summary>
public sealed class SafeTensorsFormatException : FormatException
{
    public SafeTensorsFormatException(string filePath, string problem, Exception? innerException = null)
        : base($"{Path.GetFileName(filePath)}: {problem}", innerException)
    {
        FilePath = filePath;
    }

    /// <summary>Full path of the file the problem was found in.</summary>
    public string FilePath { get; }
}

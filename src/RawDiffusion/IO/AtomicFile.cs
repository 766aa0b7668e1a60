namespace RawDiffusion.IO;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new content, never a
/// half-written file: the content goes to a temporary file in the same folder (same volume, so the
/// final rename is atomic), which is flushed to disk and then moved over the target.
/// </summary>
internal static class AtomicFile
{
    private const int BufferBytes = 1 << 16;

    /// <summary>Whether <paramref name="fileName"/> is one of the temporary files <see cref="Write"/> makes
    /// (".name.[32 hex digits].tmp"), which only a writer killed mid-write leaves behind.</summary>
    public static bool IsTemporary(string fileName) =>
        System.Text.RegularExpressions.Regex.IsMatch(fileName, @"^\..+\.[0-9a-f]{32}\.tmp$");

    /// <summary>Deletes the temporaries of interrupted writes under <paramref name="folder"/> (only its sole writer may
    /// call this); returns how many there were.</summary>
    public static int RemoveLeftovers(string folder)
    {
        int removed = 0;
        foreach (var file in Directory.EnumerateFiles(folder, ".*.tmp", SearchOption.AllDirectories).ToArray())
        {
            if (!IsTemporary(Path.GetFileName(file))) continue;
            File.Delete(file);
            removed++;
        }
        return removed;
    }

    public static void Write(string path, Action<Stream> writeContent)
    {
        string fullPath = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(fullPath)
            ?? throw new ArgumentException($"'{path}' names a root, not a file.", nameof(path));
        string temporaryPath = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferBytes))
            {
                writeContent(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporaryPath, fullPath, overwrite: true);
        }
        catch
        {
            if (File.Exists(temporaryPath))
            {
                File.Delete(temporaryPath);
            }
            throw;
        }
    }
}

namespace RawDiffusion.Tests.Data;

/// <summary>A fresh folder under the system temp folder, deleted with everything in it on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rawdiffusion-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Folder(string relative)
    {
        string folder = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(folder);
        return folder;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

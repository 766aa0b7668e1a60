using RawDiffusion.Pipeline;

namespace RawDiffusion.Tests.Pipeline;

/// <summary>
/// One finished run of <see cref="TinyPipeline"/> (every stage, report included) in a temporary folder, made once on
/// first use and shared by the tests that only read it; tests that change files work on a <see cref="CopyTo"/> of it.
/// The folder is deleted when the test process exits.
/// </summary>
internal sealed class TinyRun
{
    static readonly Lazy<TinyRun> shared = new(() => new TinyRun(), LazyThreadSafetyMode.ExecutionAndPublication);

    public static TinyRun Shared => shared.Value;

    TinyRun()
    {
        Root = Path.Combine(Path.GetTempPath(), "rawdiffusion-tinyrun-" + Guid.NewGuid().ToString("N"));
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(Root, recursive: true); }
            catch (IOException) { }
        };
        Config = TinyPipeline.Config;
        Folder = new RunFolder(Root);
        PipelineRun.PrepareFolder(Config, Folder, resume: false);
        Report = PipelineRun.RunAll(Config, Folder, null, new StageOptions())
                 ?? throw new InvalidOperationException("the tiny run reported an interruption without being cancelled");
    }

    public string Root { get; }
    public PipelineConfig Config { get; }
    public RunFolder Folder { get; }
    public DemoReport Report { get; }

    /// <summary>A copy of the finished run folder (or of the listed top-level entries of it) under <paramref name="destination"/>.</summary>
    public RunFolder CopyTo(string destination, params string[] entries)
    {
        Directory.CreateDirectory(destination);
        var names = entries.Length > 0 ? entries : Directory.EnumerateFileSystemEntries(Root).Select(Path.GetFileName).ToArray();
        foreach (var name in names)
        {
            string source = Path.Combine(Root, name!), target = Path.Combine(destination, name!);
            if (Directory.Exists(source)) CopyFolder(source, target);
            else File.Copy(source, target);
        }
        return new RunFolder(destination);
    }

    static void CopyFolder(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        foreach (var folder in Directory.GetDirectories(source)) CopyFolder(folder, Path.Combine(target, Path.GetFileName(folder)));
    }
}

using RawDiffusion.Pipeline;

namespace RawDiffusion.Tests.Pipeline;

/// <summary>
/// One finished run of <see cref="TinyPipeline"/> (every stage, report included; a zoo of heads or of a pixel
/// architecture) in a temporary folder, made once on first use and shared by the tests that only read it; tests that
/// change files work on a <see cref="CopyTo"/> of it. The folder is deleted when the test process exits.
/// </summary>
internal sealed class TinyRun
{
    static readonly Lazy<TinyRun> shared = new(() => new TinyRun(_ => TinyPipeline.Json), LazyThreadSafetyMode.ExecutionAndPublication);
    static readonly Lazy<TinyRun> pixels = new(() => new TinyRun(files => TinyPipeline.PixelJson(Path.Combine(files, "tiny-pixel-mlp.json"))),
                                               LazyThreadSafetyMode.ExecutionAndPublication);

    static readonly Lazy<TinyRun> classRows = new(() => new TinyRun(_ => TinyPipeline.ClassRowsJson), LazyThreadSafetyMode.ExecutionAndPublication);

    static readonly Lazy<TinyRun> paper = new(() => new TinyRun(_ => TinyPipeline.PaperJson), LazyThreadSafetyMode.ExecutionAndPublication);
    static readonly Lazy<TinyRun> mixed = new(() => new TinyRun(_ => TinyPipeline.MixedJson), LazyThreadSafetyMode.ExecutionAndPublication);

    public static TinyRun Shared => shared.Value;

    /// <summary>The tiny run the paper's way: accuracy predictor, Eq. 9 VAE, condition maps, DDPM sampling.</summary>
    public static TinyRun Paper => paper.Value;

    /// <summary>The tiny run with a mixed-architecture zoo (<see cref="TinyPipeline.MixedJson"/>).</summary>
    public static TinyRun Mixed => mixed.Value;

    /// <summary>The tiny run with vectors.layout "class-rows": heads generated row by row.</summary>
    public static TinyRun ClassRows => classRows.Value;

    /// <summary>The tiny run with <see cref="TinyPipeline.PixelArchitecture"/> as the zoo's architecture (its JSON file
    /// lies in a folder beside the run's).</summary>
    public static TinyRun Pixels => pixels.Value;

    /// <param name="json">The config, given a folder for files it refers to.</param>
    TinyRun(Func<string, string> json)
    {
        Root = Path.Combine(Path.GetTempPath(), "rawdiffusion-tinyrun-" + Guid.NewGuid().ToString("N"));
        string files = Root + "-files";
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var folder in new[] { Root, files })
                try { if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); }
                catch (IOException) { }
        };
        Directory.CreateDirectory(files);
        Config = PipelineConfig.Parse(json(files), "tiny");
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

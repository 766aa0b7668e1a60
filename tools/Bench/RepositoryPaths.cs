namespace RawDiffusion.Bench;

/// <summary>Finds the repository root, so the benchmark works from any working directory and from its build output.</summary>
internal static class RepositoryPaths
{
    private const string SolutionFile = "RawDiffusion.sln";

    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, SolutionFile)))
                {
                    return directory.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException(
            $"No folder containing {SolutionFile} above {Environment.CurrentDirectory} or {AppContext.BaseDirectory}.");
    }
}

namespace RawDiffusion.Data;

/// <summary>
/// Finds the data folder (the one laid out like the repository's data/: fashion-mnist/,
/// mnist-digits/). In order: an explicit path; else the RAWDIFFUSION_DATA environment variable;
/// else the data/ folder of the repository, found by walking up from the current directory and
/// then from the application's base directory (tests and tools run from bin/ deep inside it)
/// to the folder that holds RawDiffusion.sln.
/// </summary>
public static class DataLocator
{
    public const string EnvironmentVariable = "RAWDIFFUSION_DATA";
    public const string RepositoryMarker = "RawDiffusion.sln";
    public const string RepositoryDataFolder = "data";

    /// <summary>The data folder as a full path; <see cref="DirectoryNotFoundException"/> listing where it looked if there is none.</summary>
    public static string FindDataRoot(string? explicitRoot = null) =>
        FindDataRoot(
            explicitRoot,
            Environment.GetEnvironmentVariable(EnvironmentVariable),
            [Directory.GetCurrentDirectory(), AppContext.BaseDirectory]);

    // The environment and the walk starts are parameters so tests need not change process-wide state.
    internal static string FindDataRoot(string? explicitRoot, string? environmentValue, IReadOnlyList<string> walkStarts)
    {
        // A path someone named but got wrong is reported, not silently replaced by another data set.
        if (!string.IsNullOrWhiteSpace(explicitRoot))
            return ExistingFolder(explicitRoot, "the data folder passed as root");
        if (!string.IsNullOrWhiteSpace(environmentValue))
            return ExistingFolder(environmentValue, $"the data folder named by {EnvironmentVariable}");

        var looked = new List<string> { "no root argument given", $"{EnvironmentVariable} is not set" };
        foreach (string start in walkStarts)
        {
            string? repository = FindRepositoryRoot(start);
            if (repository is null)
            {
                looked.Add($"no {RepositoryMarker} in {Path.TrimEndingDirectorySeparator(Path.GetFullPath(start))} or any folder above it");
                continue;
            }
            string data = Path.Combine(repository, RepositoryDataFolder);
            if (Directory.Exists(data))
                return data;
            looked.Add($"the repository {repository} has no {RepositoryDataFolder}/ folder");
        }
        throw new DirectoryNotFoundException(
            "No RawDiffusion data folder found. Looked for it as follows:" +
            string.Concat(looked.Select(line => $"{Environment.NewLine}  - {line}")) +
            $"{Environment.NewLine}Pass the folder as the root argument, set {EnvironmentVariable}, or run inside the repository; tools/get-data.sh finds or installs the full data sets.");
    }

    /// <summary>The nearest folder at or above <paramref name="start"/> that holds RawDiffusion.sln, or null.</summary>
    public static string? FindRepositoryRoot(string start)
    {
        ArgumentNullException.ThrowIfNull(start);
        for (var folder = new DirectoryInfo(Path.GetFullPath(start)); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, RepositoryMarker)))
                return folder.FullName;
        }
        return null;
    }

    private static string ExistingFolder(string path, string role)
    {
        string full = Path.GetFullPath(path);
        if (!Directory.Exists(full))
            throw new DirectoryNotFoundException($"{full}: {role} does not exist.");
        return full;
    }
}

namespace RawDiffusion.Bench;

/// <summary>
/// docs/bench/cpu.md holds one "## Name" section per benchmark; each run replaces only its own section so that
/// the results of different benchmarks, measured at different times, live side by side.
/// </summary>
internal static class MarkdownReport
{
    private const string DocumentTitle = "# CPU benchmarks";

    public static string CpuReportPath => Path.Combine(RepositoryPaths.Root, "docs", "bench", "cpu.md");

    public static void ReplaceSection(string path, string heading, string body)
    {
        string[] lines = File.Exists(path) ? File.ReadAllLines(path) : [DocumentTitle, ""];
        string sectionHeading = $"## {heading}";
        int start = Array.FindIndex(lines, line => line.TrimEnd() == sectionHeading);
        var section = new List<string> { sectionHeading, "" };
        section.AddRange(body.TrimEnd().Split('\n'));
        section.Add("");

        List<string> result;
        if (start < 0)
        {
            result = [.. lines];
            if (result.Count > 0 && result[^1].Length > 0)
            {
                result.Add("");
            }

            result.AddRange(section);
        }
        else
        {
            int end = Array.FindIndex(lines, start + 1, line => line.StartsWith("## ", StringComparison.Ordinal));
            result = [.. lines[..start], .. section, .. end < 0 ? [] : lines[end..]];
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, string.Join('\n', result).TrimEnd() + "\n");
    }
}

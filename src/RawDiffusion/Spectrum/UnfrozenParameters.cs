using System.Globalization;
using System.Text.RegularExpressions;

namespace RawDiffusion.Spectrum;

/// <summary>The unfrozen_parameters.yaml that <see cref="SpectrumReport.UnfrozenParametersYaml"/> writes, read back: the
/// percent and SNR formula from its header comment and the listed modules (the anchored <c>^name$</c> entries that
/// Spectrum always adds, embeddings and output head, are kept apart).</summary>
public sealed partial record UnfrozenParameters(double Percent, SnrFormula Formula, string Source, IReadOnlyList<string> Modules, IReadOnlyList<string> AlwaysUnfrozen)
{
    [GeneratedRegex(@"^# top (?<percent>[0-9.eE+-]+)% of each group by (?<formula>\w+) SNR; (?<source>.*)$")]
    private static partial Regex Header();

    public static UnfrozenParameters Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: unfrozen_parameters.yaml not found", path);
        return Parse(File.ReadAllLines(path), path);
    }

    public static UnfrozenParameters Parse(IReadOnlyList<string> lines, string source)
    {
        var header = lines.Count > 0 ? Header().Match(lines[0]) : Match.Empty;
        if (!header.Success)
            throw new InvalidDataException($"{source}: line 1 must be the spectrum command's header '# top P% of each group by FORMULA SNR; SOURCE'");
        double percent = double.Parse(header.Groups["percent"].Value, CultureInfo.InvariantCulture);
        if (!Enum.TryParse(header.Groups["formula"].Value, ignoreCase: false, out SnrFormula formula))
            throw new InvalidDataException($"{source}: line 1 names an unknown SNR formula '{header.Groups["formula"].Value}' (Spectrum or Paper)");
        int start = lines.ToList().IndexOf("unfrozen_parameters:");
        if (start < 0) throw new InvalidDataException($"{source}: no 'unfrozen_parameters:' key");
        var modules = new List<string>();
        var always = new List<string>();
        for (int i = start + 1; i < lines.Count; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (!line.StartsWith("- ", StringComparison.Ordinal))
                throw new InvalidDataException($"{source}: line {i + 1}: expected a list item '- module', found '{lines[i]}'");
            string item = line[2..].Trim();
            if (item.StartsWith('^') && item.EndsWith('$')) always.Add(item[1..^1]);
            else modules.Add(item);
        }
        return new UnfrozenParameters(percent, formula, header.Groups["source"].Value, modules, always);
    }
}

using System.Text.Json;

namespace RawDiffusion.Spectrum;

/// <summary>One analysed matrix as snr.json lists it: enough to rank layers again without the checkpoint.</summary>
/// <param name="Name">The tensor's name in snr.json (prefixed with its file when the scan spanned several files).</param>
/// <param name="Group">Spectrum's group (the module-name suffix after the layer number).</param>
/// <param name="PaperSnr">D2NWG Eq. 8; null when the scan had too few singular values to fit the bulk.</param>
public sealed record SnrEntry(string Name, string Group, int? Layer, long[] Shape, double SpectrumSnr, double? PaperSnr)
{
    public static SnrEntry From(MatrixResult m) =>
        new(m.Tensor.Name, m.Tensor.Module.Group, m.Tensor.Module.Layer, m.Tensor.Shape, m.Spectrum.SpectrumSnr, m.Spectrum.PaperSnr);

    /// <summary>The SNR that ranks layers under <paramref name="formula"/>; NaN where it is unknown.</summary>
    public double Snr(SnrFormula formula) => formula == SnrFormula.Spectrum ? SpectrumSnr : PaperSnr ?? double.NaN;
}

/// <summary>Reads the snr.json that <see cref="SpectrumReport.Save"/> writes (format <see cref="SpectrumReport.Format"/>).</summary>
public static class SnrFile
{
    public static IReadOnlyList<SnrEntry> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: snr.json not found (write one with `spectrum CHECKPOINT --out FOLDER`)", path);
        JsonDocument document;
        try { document = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not JSON: {e.Message}", e); }
        using (document)
        {
            var root = document.RootElement;
            string? format = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("format", out var f) ? f.GetString() : null;
            if (format != SpectrumReport.Format)
                throw new InvalidDataException($"{path}: format is '{format}', expected '{SpectrumReport.Format}' (an snr.json written by the spectrum command)");
            if (!root.TryGetProperty("matrices", out var matrices) || matrices.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{path}: no 'matrices' array");
            var entries = new List<SnrEntry>();
            int index = 0;
            foreach (var m in matrices.EnumerateArray())
            {
                string where = $"{path}: matrices[{index++}]";
                try
                {
                    string name = m.GetProperty("name").GetString() ?? throw new InvalidDataException($"{where}.name is null");
                    var layer = m.GetProperty("layer");
                    entries.Add(new SnrEntry(name, m.GetProperty("group").GetString() ?? throw new InvalidDataException($"{where}.group is null"),
                        layer.ValueKind == JsonValueKind.Null ? null : layer.GetInt32(),
                        m.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray(),
                        Ratio(m.GetProperty("spectrum_snr"), $"{where}.spectrum_snr") ?? double.NaN,
                        Ratio(m.GetProperty("paper_snr"), $"{where}.paper_snr")));
                }
                catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    throw new InvalidDataException($"{where}: {e.Message}", e);
                }
            }
            return entries;
        }
    }

    /// <summary>A ratio as snr.json writes it: a number, the string "Infinity", or null.</summary>
    static double? Ratio(JsonElement value, string where) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.Null => null,
        JsonValueKind.String when value.GetString() == "Infinity" => double.PositiveInfinity,
        _ => throw new InvalidDataException($"{where}: expected a number, \"Infinity\" or null, found {value.GetRawText()}"),
    };
}

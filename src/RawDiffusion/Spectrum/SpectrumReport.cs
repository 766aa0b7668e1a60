using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RawDiffusion.Spectrum;

/// <summary>Which SNR ranks the layers of a group.</summary>
public enum SnrFormula
{
    /// <summary>Spectrum's: (Σ s above σ_IQR(1+√q) / Σ s at or below) / s_max.</summary>
    Spectrum,

    /// <summary>D2NWG Eq. 8: Σ s above the fitted bulk edge / Σ s below it.</summary>
    Paper,
}

/// <summary>A finished scan: every analysed matrix, the skipped tensors, and the outputs built from them.</summary>
public sealed record SpectrumReport(string Source, string Device, IReadOnlyList<MatrixResult> Matrices, IReadOnlyList<CheckpointTensor> Skipped, double Seconds)
{
    public const string Format = "rawdiffusion-spectrum/1";

    public static double Snr(MatrixSpectrum spectrum, SnrFormula formula) =>
        formula == SnrFormula.Spectrum ? spectrum.SpectrumSnr : spectrum.PaperSnr ?? double.NaN;

    /// <summary>Groups in first-seen order, each with its matrices in layer order.</summary>
    public IReadOnlyList<(string Group, IReadOnlyList<MatrixResult> Matrices)> Groups() =>
        Matrices.GroupBy(m => m.Tensor.Module.Group)
            .Select(g => (g.Key, (IReadOnlyList<MatrixResult>)g.OrderBy(m => m.Tensor.Module.Layer ?? -1).ToList())).ToList();

    /// <summary>
    /// The top <paramref name="percent"/>% of each group by SNR, Spectrum's rule: ⌊count·percent/100⌋ per group.
    /// </summary>
    public IReadOnlyList<(string Group, IReadOnlyList<MatrixResult> Top)> TopPerGroup(double percent, SnrFormula formula) =>
        Groups().Select(g => (g.Group, (IReadOnlyList<MatrixResult>)g.Matrices
            .OrderByDescending(m => Snr(m.Spectrum, formula)).Take((int)(g.Matrices.Count * percent / 100)).ToList())).ToList();

    /// <summary>Spectrum's YAML for Axolotl: <c>unfrozen_parameters:</c>, one commented block of module names per group.</summary>
    public string UnfrozenParametersYaml(double percent, SnrFormula formula)
    {
        var yaml = new StringBuilder();
        yaml.Append(CultureInfo.InvariantCulture, $"# top {percent}% of each group by {formula} SNR; {Source}\n");
        yaml.Append("unfrozen_parameters:\n");
        // Spectrum always unfreezes the embeddings and the output head; keep that where the model has them.
        foreach (string always in new[] { "lm_head.weight", "model.embed_tokens.weight" })
        {
            if (Matrices.Any(m => m.Tensor.Name == always))
            {
                yaml.Append(CultureInfo.InvariantCulture, $"- ^{always}$\n");
            }
        }
        foreach ((string group, IReadOnlyList<MatrixResult> top) in TopPerGroup(percent, formula))
        {
            yaml.Append(CultureInfo.InvariantCulture, $"# {group} layers\n");
            foreach (MatrixResult matrix in top)
            {
                yaml.Append(CultureInfo.InvariantCulture, $"- {matrix.Tensor.Module.Module}\n");
            }
        }
        return yaml.ToString();
    }

    /// <summary>Writes snr.json and unfrozen_parameters.yaml into <paramref name="folder"/>, each atomically; returns their paths.</summary>
    public (string Json, string Yaml) Save(string folder, double percent, SnrFormula formula)
    {
        Directory.CreateDirectory(folder);
        string json = System.IO.Path.Combine(folder, "snr.json");
        string yaml = System.IO.Path.Combine(folder, "unfrozen_parameters.yaml");
        IO.AtomicFile.Write(json, stream => stream.Write(Encoding.UTF8.GetBytes(ToJson())));
        IO.AtomicFile.Write(yaml, stream => stream.Write(Encoding.UTF8.GetBytes(UnfrozenParametersYaml(percent, formula))));
        return (json, yaml);
    }

    /// <summary>snr.json: every matrix with every figure and its singular values, and the skipped tensors with reasons.</summary>
    public string ToJson()
    {
        var matrices = new JsonArray();
        foreach (MatrixResult m in Matrices)
        {
            MatrixSpectrum s = m.Spectrum;
            matrices.Add(new JsonObject
            {
                ["name"] = m.Tensor.Name,
                ["file"] = m.Tensor.File,
                ["group"] = m.Tensor.Module.Group,
                ["layer"] = m.Tensor.Module.Layer,
                ["shape"] = new JsonArray(m.Tensor.Shape.Select(x => (JsonNode)x).ToArray()),
                ["dtype"] = m.Tensor.DType,
                ["rows"] = s.Rows,
                ["columns"] = s.Columns,
                ["aspect_ratio"] = s.AspectRatio,
                ["largest_singular_value"] = s.LargestSingularValue,
                ["spectrum_sigma"] = s.SpectrumSigma,
                ["spectrum_threshold"] = s.SpectrumThreshold,
                ["spectrum_snr"] = Number(s.SpectrumSnr),
                ["mp_noise_std"] = Number(s.NoiseStd),
                ["mp_bulk_edge"] = Number(s.BulkEdge),
                ["mp_spike_threshold"] = Number(s.SpikeThreshold),
                ["mp_ks_distance"] = Number(s.FitError),
                ["spikes"] = s.Spikes,
                ["spike_mass_fraction"] = s.SpikeMass,
                ["paper_snr"] = Number(s.PaperSnr),
                ["seconds"] = m.Seconds,
                ["singular_values"] = new JsonArray(m.SingularValues.Select(x => (JsonNode)x).ToArray()),
            });
        }
        var root = new JsonObject
        {
            ["format"] = Format,
            ["source"] = Source,
            ["device"] = Device,
            ["seconds"] = Seconds,
            ["notes"] = "Singular values of each weight as stored (convolutions as out x in*k*k). spectrum_* follow cognitivecomputations/spectrum; "
                + "mp_* are a Marchenko-Pastur fit of the bulk of the eigenvalues s^2/N (N = larger side); paper_snr is D2NWG Eq. 8. "
                + "Infinite ratios are written as the string \"Infinity\"; null means too few singular values to fit.",
            ["matrices"] = matrices,
            ["skipped"] = new JsonArray(Skipped.Select(t => (JsonNode)new JsonObject
            {
                ["name"] = t.Name,
                ["shape"] = new JsonArray(t.Shape.Select(x => (JsonNode)x).ToArray()),
                ["dtype"] = t.DType,
                ["reason"] = t.SkipReason,
            }).ToArray()),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonNode? Number(double? value) => value switch
    {
        null => null,
        double.PositiveInfinity => "Infinity",
        double x when double.IsNaN(x) => null,
        double x => x,
    };
}

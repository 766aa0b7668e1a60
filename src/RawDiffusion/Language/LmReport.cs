using System.Globalization;
using System.Text;
using System.Text.Json;
using RawDiffusion.Models.Language;
using RawDiffusion.Nn;
using RawDiffusion.Zoo;

namespace RawDiffusion.Language;

/// <summary>One domain's row of the report: validation bits per byte of each model.</summary>
/// <remarks><see cref="FineTunedLayers"/> is the base with the selected layers taken from the domain's fine-tunes (the
/// last checkpoint of the first seed): the best any generator of those layers alone could do.</remarks>
public sealed record LmReportRow(string Domain, long ValidBytes, double Base, double FineTune, double Generated, double Refined, double RandomControl,
                                 int RefineAccepted, int RefineSteps, double FineTunedLayers);

/// <summary>Refine and the report: per domain, Algorithm 1 from the base with the generated candidates (log in
/// <c>refine/&lt;domain&gt;.jsonl</c>, refined model in <c>refine/&lt;domain&gt;/</c>), then validation bits per byte of the
/// base, the domain fine-tunes (mean over seeds, last checkpoint), the base with candidate 0's layers (no fine-tuning),
/// the refined model, and a control with the same layers randomly re-initialised.</summary>
public static class LmReport
{
    public static string RefineLog(LmRun run, string domain) => Path.Combine(run.Folder, "refine", domain + ".jsonl");
    public static string RefinedFolder(LmRun run, string domain) => Path.Combine(run.Folder, "refine", domain);

    /// <summary>The selection text of a domain: its last <c>selectionDocuments</c> training documents (not the reported validation text).</summary>
    public static int[] SelectionStream(TextDomain domain, int documents) =>
        domain.Train.Skip(Math.Max(0, domain.Train.Count - documents)).SelectMany(d => ByteTokenizer.Encode(d, addBos: true, addEos: true)).ToArray();

    public static IReadOnlyList<RefineDecision> RefineDomain(LmRun run, TextDomain domain, Action<RefineDecision>? onDecision = null)
    {
        var g = run.Config.Generation ?? throw new ArgumentException($"{run.ConfigPath}: no 'generation' section");
        var selected = LayerSelection.Select(run).Tensors;
        var candidates = Enumerable.Range(0, g.Candidates).Select(k => (IReadOnlyDictionary<string, float[]>)LayerGeneration.ReadCandidate(
            File.Exists(LayerGeneration.CandidatePath(run, domain.Name, k)) ? LayerGeneration.CandidatePath(run, domain.Name, k)
                : throw new FileNotFoundException($"{LayerGeneration.CandidatePath(run, domain.Name, k)}: run `lm generate-layers --out {run.Folder}` first"), selected)).ToList();
        using var model = run.LoadBase();
        Directory.CreateDirectory(Path.Combine(run.Folder, "refine"));
        var decisions = Refine.Run(model, selected, candidates, SelectionStream(domain, g.SelectionDocuments), run.Config.EvalBatchSize, RefineLog(run, domain.Name), onDecision);
        LlamaFiles.Save(RefinedFolder(run, domain.Name), model, new Dictionary<string, string> { ["domain"] = domain.Name, ["stage"] = "refine" });
        return decisions;
    }

    /// <summary>Before any generator is trained: per domain, validation bits per byte of the base, the fine-tunes (mean over
    /// seeds, last checkpoint) and the base with <paramref name="selected"/> taken from the first seed's fine-tune: how
    /// close to the fine-tune a perfect generator of these layers could bring the base.</summary>
    public static IReadOnlyList<(string Domain, double Base, double FineTune, double Ceiling)> SelectionCeiling(LmRun run, IReadOnlyList<TextDomain> domains,
                                                                                                               IReadOnlyList<TensorSpec> selected)
    {
        var rows = new List<(string, double, double, double)>();
        foreach (var d in domains)
        {
            using var model = run.LoadBase();
            var (baseBpb, tuned, ceiling, _) = BaseTunedCeiling(run, d, selected, model);
            rows.Add((d.Name, baseBpb, tuned, ceiling));
        }
        return rows;
    }

    /// <summary>Bits per byte of the base model, of the domain's fine-tunes (mean over the seeds' last checkpoints) and
    /// of the base with the first fine-tune's selected layers; <paramref name="model"/> (the base, loaded by the caller)
    /// is left holding those layers.</summary>
    static (double Base, double FineTune, double Ceiling, Func<LlamaForCausalLM, double> Bpb) BaseTunedCeiling(
        LmRun run, TextDomain d, IReadOnlyList<TensorSpec> selected, LlamaForCausalLM model)
    {
        int context = run.Config.Model.Context, batch = run.Config.EvalBatchSize;
        double Bpb(LlamaForCausalLM m) => LmEvaluation.BitsPerByte(m, d.ValidTokens, context, batch);
        double baseBpb = Bpb(model);
        var last = run.Members(d.Name).GroupBy(m => m.Seed).Select(x => x.Last()).ToList();
        double tuned = last.Select(m => { using var t = LlamaFiles.Load(m.Folder); return Bpb(t); }).Average();
        var state = model.StateDict();
        var tunedLayers = LmZooChunks.ReadSelected(last[0].Folder, selected);
        foreach (var s in selected) Refine.Assign(state[s.Name], tunedLayers[s.Name]);
        return (baseBpb, tuned, Bpb(model), Bpb);
    }

    public static IReadOnlyList<LmReportRow> Evaluate(LmRun run, IReadOnlyList<TextDomain> domains, Action<string>? log = null)
    {
        var g = run.Config.Generation ?? throw new ArgumentException($"{run.ConfigPath}: no 'generation' section");
        var selected = LayerSelection.Select(run).Tensors;
        var rows = new List<LmReportRow>();
        foreach (var d in domains)
        {
            using var model = run.LoadBase();
            var (baseBpb, tuned, oracle, Bpb) = BaseTunedCeiling(run, d, selected, model);
            var state = model.StateDict();
            var candidate = LayerGeneration.ReadCandidate(LayerGeneration.CandidatePath(run, d.Name, 0), selected);
            foreach (var s in selected) Refine.Assign(state[s.Name], candidate[s.Name]);
            double generated = Bpb(model);
            var generator = new Generator(12345);
            foreach (var s in selected) Init.Normal(state[s.Name], 0, run.Config.Model.ToLlama().InitializerRange, generator);
            double control = Bpb(model);
            using var refined = LlamaFiles.Load(RefinedFolder(run, d.Name));
            double refinedBpb = Bpb(refined);
            var decisions = Refine.ReadLog(RefineLog(run, d.Name));
            var row = new LmReportRow(d.Name, d.ValidTokens.Count(t => t < 256), baseBpb, tuned, generated, refinedBpb, control, decisions.Count(x => x.Accepted), decisions.Count, oracle);
            log?.Invoke($"{d.Name}: base {baseBpb:F4}, fine-tune {tuned:F4}, generated {generated:F4}, refined {refinedBpb:F4}, random control {control:F4}, fine-tuned layers only {oracle:F4} bits/byte");
            rows.Add(row);
        }
        return rows;
    }

    public static string Markdown(LmRun run, IReadOnlyList<LmReportRow> rows)
    {
        var g = run.Config.Generation!;
        var choice = LayerSelection.Select(run);
        var selected = choice.Tensors;
        var sb = new StringBuilder();
        sb.AppendLine($"Generated layers: {selected.Count} tensors, {selected.Sum(s => s.Numel):N0} parameters in " +
                      $"{WeightVectorizer.LayerWise(selected, g.ChunkSize).ChunkCount} chunks of {g.ChunkSize}; K = {g.Candidates} candidates per domain.");
        sb.AppendLine();
        sb.AppendLine("| domain | valid bytes | base | fine-tune (mean of seeds) | base + generated layers | generated + refine (accepted/steps) | random re-init control | base + fine-tuned layers (ceiling) | generated vs fine-tune | refine vs base |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Domain} | {r.ValidBytes:N0} | {r.Base:F4} | {r.FineTune:F4} | {r.Generated:F4} | {r.Refined:F4} ({r.RefineAccepted}/{r.RefineSteps}) | {r.RandomControl:F4} | {r.FineTunedLayers:F4} | {Percent(r.Generated / r.FineTune - 1)} | {Percent(r.Refined / r.Base - 1)} |"));
        sb.AppendLine();
        sb.AppendLine("Validation bits per byte (lower is better) on each domain's held-out text (`valid.txt`). Refine selects on the domain's last " +
                      $"{g.SelectionDocuments} training documents, not on the validation text. " +
                      "The ceiling column puts the fine-tune's own weights (seed " + run.Config.Finetune.Seeds[0] + ", last checkpoint) into the selected layers of the base: no generator of these layers alone can do better than that.");
        sb.AppendLine();
        sb.Append(SelectionMarkdown(choice, run.Config.Model.Layers));
        return sb.ToString();
    }

    /// <summary>Which layers were chosen and why: the rule, then per module type each layer's SNR (chosen ones in bold).</summary>
    public static string SelectionMarkdown(LayerChoice choice, int layers)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Layer selection: {choice.Rule}.");
        sb.AppendLine();
        sb.AppendLine("| module type | " + string.Join(" | ", Enumerable.Range(0, layers).Select(l => $"layer {l}")) + " |");
        sb.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", layers)));
        foreach (var type in choice.Scores.GroupBy(s => s.ModuleType))
        {
            var cells = Enumerable.Range(0, layers).Select(l =>
            {
                var score = type.FirstOrDefault(s => s.Layer == l);
                if (score == null) return "";
                string value = double.IsNaN(score.Snr) ? (score.Selected ? "chosen" : "-") : score.Snr.ToString("G4", CultureInfo.InvariantCulture);
                return score.Selected && !double.IsNaN(score.Snr) ? $"**{value}**" : value;
            });
            sb.AppendLine($"| {type.Key} | {string.Join(" | ", cells)} |");
        }
        sb.AppendLine();
        sb.AppendLine(choice.Scores.Any(s => !double.IsNaN(s.Snr))
            ? "Each cell is the layer's SNR; the chosen layers are in bold."
            : "The selection does not rank by SNR; the chosen layers are marked.");
        return sb.ToString();
    }

    static string Percent(double fraction) => (fraction >= 0 ? "+" : "") + (100 * fraction).ToString("F2", CultureInfo.InvariantCulture) + "%";

    public static void Write(LmRun run, IReadOnlyList<LmReportRow> rows)
    {
        var md = Encoding.UTF8.GetBytes(Markdown(run, rows));
        IO.AtomicFile.Write(Path.Combine(run.Folder, "report.md"), s => s.Write(md));
        var json = JsonSerializer.SerializeToUtf8Bytes(rows, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
        IO.AtomicFile.Write(Path.Combine(run.Folder, "report.json"), s => s.Write(json));
    }
}

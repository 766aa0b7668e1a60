using System.Text.Json;
using RawDiffusion.Models.Language;
using RawDiffusion.Zoo;

namespace RawDiffusion.Language;

/// <summary>One decision of <see cref="Refine.Run"/>: the layer, the loss before it, every candidate's loss, and whether
/// the best candidate was kept.</summary>
public sealed record RefineDecision(int Step, string Tensor, double CurrentLoss, double[] CandidateLosses, int BestCandidate, bool Accepted, double LossAfter);

/// <summary>Algorithm 1 of D2NWG: for each selected layer in order, try each of the K sampled candidates for that layer
/// in the current model; if the best lowers the current model's loss on the selection text, keep it, otherwise keep
/// the current layer. Every decision is logged (JSON lines). The loss is the mean next-token loss in nats per byte
/// (<see cref="LmEvaluation.Loss"/>) on text held apart from the reported validation text.</summary>
public static class Refine
{
    public static IReadOnlyList<RefineDecision> Run(LlamaForCausalLM model, IReadOnlyList<TensorSpec> selected,
                                                    IReadOnlyList<IReadOnlyDictionary<string, float[]>> candidates,
                                                    int[] selectionStream, int batch, string? logPath = null, Action<RefineDecision>? onDecision = null)
    {
        if (candidates.Count == 0) throw new ArgumentException("refine needs at least one candidate", nameof(candidates));
        int context = model.Config.MaxPositionEmbeddings;
        double Loss()
        {
            var (nats, bytes) = LmEvaluation.Loss(model, selectionStream, context, batch);
            return nats / bytes;
        }
        var state = model.StateDict();
        var decisions = new List<RefineDecision>();
        using var log = logPath == null ? null : new StreamWriter(logPath, append: false);
        double current = Loss();
        for (int step = 0; step < selected.Count; step++)
        {
            var spec = selected[step];
            var target = state[spec.Name];
            var kept = target.ToFloat32Array();
            var losses = new double[candidates.Count];
            for (int k = 0; k < candidates.Count; k++)
            {
                Assign(target, candidates[k][spec.Name]);
                losses[k] = Loss();
            }
            int best = Array.IndexOf(losses, losses.Min());
            bool accept = losses[best] < current;
            Assign(target, accept ? candidates[best][spec.Name] : kept);
            var decision = new RefineDecision(step, spec.Name, current, losses, best, accept, accept ? losses[best] : current);
            current = decision.LossAfter;
            decisions.Add(decision);
            log?.WriteLine(JsonSerializer.Serialize(decision, JsonOptions));
            log?.Flush();
            onDecision?.Invoke(decision);
        }
        return decisions;
    }

    public static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static IReadOnlyList<RefineDecision> ReadLog(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<RefineDecision>(l, JsonOptions)
            ?? throw new InvalidDataException($"{path}: empty decision line")).ToList();

    /// <summary>Overwrites a parameter's values (outside the graph).</summary>
    public static void Assign(Tensor parameter, float[] values)
    {
        if (values.Length != parameter.Numel)
            throw new ArgumentException($"'{parameter.Name}' has {parameter.Numel} values, the replacement {values.Length}", nameof(values));
        using var _ = GradMode.NoGrad();
        Nn.TensorValues.Assign(parameter, values);
    }
}

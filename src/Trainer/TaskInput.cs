using System.CommandLine;
using RawDiffusion.Pipeline;
using RawDiffusion.Tasks;

namespace RawDiffusion.Trainer;

/// <summary>
/// Which task `sample` and `eval` work on: a task id of the run's domains (`--task fashion-mnist:3-7-1-0-9`, its rows
/// taken from the run's data), or the user's own labelled data (`--examples` IDX images or .npy features with
/// `--labels`; labels 0..k-1 are the generated classifier's outputs in that order). Images go through the run's
/// backbone; .npy rows must already be backbone-sized features.
/// </summary>
internal sealed class TaskInput
{
    public Option<string?> Task { get; } = new("--task") { Description = "Task id \"domain:c0-c1-...\" (domains: fashion-mnist, mnist-digits); output j predicts class c_j" };
    public Option<string?> Examples { get; } = new("--examples") { Description = "Your labelled examples: IDX images (.idx, -ubyte, .gz) or .npy features [N, F]" };
    public Option<string?> Labels { get; } = new("--labels") { Description = "Labels for --examples: IDX or .npy, values 0..k-1 in the order of the classifier's outputs" };

    public void AddTo(Command command)
    {
        command.Options.Add(Task);
        command.Options.Add(Examples);
        command.Options.Add(Labels);
        command.Validators.Add(r =>
        {
            bool task = r.GetValue(Task) != null, examples = r.GetValue(Examples) != null, labels = r.GetValue(Labels) != null;
            if (task == examples) r.AddError("give either --task or --examples (with --labels)");
            if (examples != labels) r.AddError("--examples and --labels go together");
        });
    }

    /// <summary>The task's rows as features in its class order: (rows support sets and fine-tuning draw from, held-out rows if known).</summary>
    public (FeatureSet Train, FeatureSet? Test, string Name) Resolve(ParseResult parse, RunData data)
    {
        var id = parse.GetValue(Task);
        if (id != null)
        {
            var task = Parse(id);
            var (train, test) = data.For(task);
            return (train, test, task.Id);
        }
        string examples = parse.GetValue(Examples)!, labels = parse.GetValue(Labels)!;
        return (Features(UserData.Load(examples, labels), data.Backbone), null, Path.GetFileName(examples));
    }

    /// <summary>User rows as backbone features: images through the backbone, features checked for length.</summary>
    public static FeatureSet Features(FeatureSet rows, FeatureBackbone backbone)
    {
        if (rows.FeatureLength == backbone.Inputs) return backbone.Extract(rows);
        if (rows.FeatureLength == backbone.FeatureLength) return rows;
        throw new ArgumentException($"{rows.Source}: rows of {rows.FeatureLength} values are neither {backbone.Inputs}-pixel images for the backbone nor its {backbone.FeatureLength} features");
    }

    public static TaskSpec Parse(string id)
    {
        int colon = id.IndexOf(':');
        if (colon <= 0) throw new ArgumentException($"--task \"{id}\": expected \"domain:c0-c1-...\", e.g. fashion-mnist:3-7-1-0-9");
        string domain = id[..colon];
        var parts = id[(colon + 1)..].Split('-');
        var classes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out classes[i])) throw new ArgumentException($"--task \"{id}\": \"{parts[i]}\" is not a class index");
        return TaskSpec.Create(domain, classes, Domains.ClassNames(domain));
    }
}

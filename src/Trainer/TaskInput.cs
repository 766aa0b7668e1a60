using System.CommandLine;
using RawDiffusion.Pipeline;
using RawDiffusion.Tasks;
using RawDiffusion.Zoo;

namespace RawDiffusion.Trainer;

/// <summary>
/// Which task `sample` and `eval` work on: a task id of the run's domains (`--task fashion-mnist:3-7-1-0-9`, its rows
/// taken from the run's data), or the user's own labelled data (`--examples` IDX images or .npy features with
/// `--labels`; labels 0..k-1 are the generated classifier's outputs in that order). Support sets always come from
/// backbone features (images go through the run's backbone; .npy rows may already be backbone-sized features); the rows
/// weights are evaluated on are what the architecture takes: features for heads, images for pixel architectures.
/// </summary>
internal sealed class TaskInput
{
    public Option<string?> Task { get; } = new("--task") { Description = "Task id \"domain:c0-c1-...\" (domains: fashion-mnist, mnist-digits); output j predicts class c_j" };
    public Option<string?> Examples { get; } = new("--examples") { Description = "Your labelled examples: IDX images (.idx, -ubyte, .gz) or .npy rows [N, F] (images, or backbone features)" };
    public Option<string?> Labels { get; } = new("--labels") { Description = "Labels for --examples: IDX or .npy, values 0..k-1 in the order of the classifier's outputs" };

    public void AddTo(Command command)
    {
        command.Options.Add(Task);
        command.Options.Add(Examples);
        command.Options.Add(Labels);
        command.Validators.Add(r =>
        {
            bool task = Cli.ValueOrDefault(r, Task) != null, examples = Cli.ValueOrDefault(r, Examples) != null, labels = Cli.ValueOrDefault(r, Labels) != null;
            if (task == examples) r.AddError("give either --task or --examples (with --labels)");
            if (examples != labels) r.AddError("--examples and --labels go together");
        });
    }

    /// <summary>The task's rows as backbone features in its class order (what support sets are drawn from): (training
    /// rows, held-out rows if known, name).</summary>
    public (FeatureSet Train, FeatureSet? Test, string Name) Resolve(ParseResult parse, RunData data, int classes)
    {
        var id = parse.GetValue(Task);
        if (id != null)
        {
            var task = Parse(id);
            var (train, test) = data.For(task);
            return (train, test, task.Id);
        }
        string examples = parse.GetValue(Examples)!, labels = parse.GetValue(Labels)!;
        return (Features(Load(examples, labels, classes), data.Backbone), null, Path.GetFileName(examples));
    }

    /// <summary>The task's rows as the architecture takes them (features for heads, pixels for image networks), for
    /// evaluating and fine-tuning weights: (training rows, held-out rows if known, name).</summary>
    public (FeatureSet Train, FeatureSet? Test, string Name) ResolveInputs(ParseResult parse, RunData data, TargetArchitecture architecture)
    {
        var id = parse.GetValue(Task);
        if (id != null)
        {
            var task = Parse(id);
            var (train, test) = data.InputsFor(task, architecture);
            return (train, test, task.Id);
        }
        string examples = parse.GetValue(Examples)!, labels = parse.GetValue(Labels)!;
        return (Inputs(Load(examples, labels, architecture.Classes), data, architecture), null, Path.GetFileName(examples));
    }

    /// <summary>The user's labelled rows for a classifier of <paramref name="classes"/> outputs: labels outside
    /// 0..classes-1, or classes without a single example, are blamed on the labels file.</summary>
    public static FeatureSet Load(string examples, string labels, int classes)
    {
        var rows = UserData.Load(examples, labels);
        int row = Array.FindIndex(rows.Labels, l => l >= classes);
        if (row >= 0)
            throw new FormatException($"{labels}: row {row} has label {rows.Labels[row]}, but the run's classifiers have {classes} outputs (labels 0..{classes - 1})");
        if (rows.ClassCount < classes)
            throw new FormatException($"{labels}: the labels stop at {rows.ClassCount - 1}, but the run's classifiers have {classes} outputs; every label 0..{classes - 1} needs examples");
        return rows;
    }

    /// <summary>User rows as backbone features: images through the backbone, features checked for length.</summary>
    public static FeatureSet Features(FeatureSet rows, FeatureBackbone backbone)
    {
        CheckImages(rows, backbone.Inputs);
        if (rows.FeatureLength == backbone.Inputs) return backbone.Extract(rows);
        if (rows.FeatureLength == backbone.FeatureLength) return rows;
        throw new ArgumentException($"{rows.Source}: rows of {rows.FeatureLength} values are neither {backbone.Inputs}-pixel images for the backbone nor its {backbone.FeatureLength} features");
    }

    /// <summary>User rows as the architecture's inputs: for heads as <see cref="Features"/>; a pixel architecture needs
    /// images of its size (features have lost the pixels it reads), shaped like the run's images.</summary>
    public static FeatureSet Inputs(FeatureSet rows, RunData data, TargetArchitecture architecture)
    {
        if (!RunData.TakesPixels(architecture)) return Features(rows, data.Backbone);
        CheckImages(rows, architecture.Inputs);
        if (rows.FeatureLength == architecture.Inputs && architecture.Inputs == data.TrainPixels.FeatureLength)
            return new FeatureSet(rows.Features, rows.Labels, data.TrainPixels.SampleShape, rows.ClassNames, rows.Source);
        if (rows.FeatureLength == data.Backbone.FeatureLength)
            throw new ArgumentException($"{rows.Source}: rows of {rows.FeatureLength} values are backbone features, but the run's architecture \"{architecture.Name}\" takes {architecture.Inputs}-pixel images; give images (IDX, or .npy rows of {architecture.Inputs} pixels)");
        throw new ArgumentException($"{rows.Source}: rows of {rows.FeatureLength} values are not the {architecture.Inputs}-pixel images the run's architecture \"{architecture.Name}\" takes");
    }

    /// <summary>Refuses rows that look like the wrong kind of data: IDX images of another size than the network takes
    /// (8x8 images are 64 values, as long as a feature row, but are not features), and pixel rows outside [0, 1]
    /// (unscaled 0..255 bytes).</summary>
    static void CheckImages(FeatureSet rows, int pixels)
    {
        int side = (int)Math.Round(Math.Sqrt(pixels));
        if (rows.SampleShape.Length == 3 && rows.FeatureLength != pixels)
            throw new FormatException($"{rows.Source}: images of {rows.SampleShape[1]}x{rows.SampleShape[2]} pixels, but the run takes {side}x{side} images ({pixels} pixels)");
        if (rows.FeatureLength != pixels) return;
        var values = rows.Features;
        for (int i = 0; i < values.Length; i++)
            if (values[i] is < 0 or > 1)
                throw new FormatException($"{rows.Source}: row {i / pixels}, pixel {i % pixels} is {values[i].ToString(System.Globalization.CultureInfo.InvariantCulture)}; image rows hold pixels in [0, 1] (divide 0..255 bytes by 255)");
    }

    public static TaskSpec Parse(string id)
    {
        try { return TaskSpec.Parse(id, RawDiffusion.Data.Datasets.ClassNamesByDomain); }
        catch (FormatException e) { throw new ArgumentException($"--task: {e.Message}", e); }
    }
}

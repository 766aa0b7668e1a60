using System.CommandLine;
using RawDiffusion.Pipeline;
using RawDiffusion.Zoo;
using Spectre.Console;

namespace RawDiffusion.Trainer;

/// <summary>`eval`: test accuracy of weight files (generated or any state dict of the run's architecture) on a task,
/// with no fine-tuning and after a given number of fine-tuning epochs, next to random initialisation.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var output = Cli.OutOption();
        var data = Cli.DataOption();
        var input = new TaskInput();
        var weights = new Option<string>("--weights") { Description = "A weights .safetensors file or a folder of them (e.g. the --dest of `sample`)", Required = true };
        var testExamples = new Option<string?>("--test-examples") { Description = "Held-out examples for --examples (IDX images or .npy rows: images, or backbone features for head architectures)" };
        var testLabels = new Option<string?>("--test-labels") { Description = "Labels of --test-examples" };
        var epochs = new Option<int>("--fine-tune-epochs") { Description = "Also report accuracy after this many epochs of fine-tuning on the task's training rows", DefaultValueFactory = _ => 0 }
            .Check(v => v < 0 ? "--fine-tune-epochs cannot be negative" : null);
        var lr = new Option<double>("--lr") { Description = "Fine-tuning learning rate (AdamW)", DefaultValueFactory = _ => 1e-2 }
            .Check(v => v > 0 ? null : "--lr must be positive");
        var allowNonFinite = new Option<bool>("--allow-non-finite") { Description = "Evaluate weight files holding NaN or infinite values (with a warning) instead of refusing them" };
        var architectureOption = SampleCommand.ArchitectureOption();
        var command = new Command("eval", "Evaluate weight files on a task, without and with fine-tuning") { output, data, weights, testExamples, testLabels, epochs, lr, allowNonFinite, architectureOption };
        input.AddTo(command);
        command.Validators.Add(r =>
        {
            string? te = Cli.ValueOrDefault(r, testExamples), tl = Cli.ValueOrDefault(r, testLabels);
            if ((te == null) != (tl == null)) r.AddError("--test-examples and --test-labels go together");
            if (Cli.ValueOrDefault(r, input.Examples) != null && te == null) r.AddError("--examples needs --test-examples and --test-labels to evaluate on");
        });
        command.SetAction(p => Cli.Guard(_ =>
        {
            var run = new RunFolder(p.GetValue(output)!);
            var config = Cli.RunConfig(run);
            using var runData = RunData.Prepare(config, run, p.GetValue(data), Cli.Log);
            var architectures = ZooStage.ZooArchitectures(config, run);
            var architecture = architectures[ZooStage.SelectArchitecture(architectures, p.GetValue(architectureOption))];
            var (train, test, name) = input.ResolveInputs(p, runData, architecture);
            var fineTuning = config.Zoo with { LearningRate = p.GetValue(lr) };
            if (p.GetValue(testExamples) is { } te)
                test = TaskInput.Inputs(TaskInput.Load(te, p.GetValue(testLabels)!, architecture.Classes), runData, architecture);
            if (test!.ClassCount != architecture.Classes)
                throw new ArgumentException($"{test.Source}: {test.ClassCount} classes, the architecture \"{architecture.Name}\" has {architecture.Classes} outputs");
            string path = p.GetValue(weights)!;
            var files = Directory.Exists(path) ? Directory.GetFiles(path, "*.safetensors").Order().ToArray()
                : File.Exists(path) ? [path] : throw new FileNotFoundException($"--weights: {path} is neither a file nor a folder", path);
            if (files.Length == 0) throw new FileNotFoundException($"--weights: no .safetensors files in {path}");
            int e = p.GetValue(epochs);
            var table = new Table().Title($"{name}: test accuracy on {test.Count} held-out rows").AddColumns("weights", "accuracy", e > 0 ? $"after {e} fine-tuning epoch(s)" : "");
            void Row(string label, IReadOnlyDictionary<string, float[]> w) => table.AddRow(Markup.Escape(label), $"{100 * Evaluation.Accuracy(architecture, w, test):F1} %",
                e > 0 ? $"{100 * Evaluation.FineTuneCurve(architecture, w, train, test, [e], fineTuning, 5)[1]:F1} %" : "");
            foreach (var file in files)
            {
                var loaded = WeightsFile.Load(file, architecture);
                if (NonFinite(loaded) is { } problem)
                {
                    if (!p.GetValue(allowNonFinite)) throw new FormatException($"{file}: {problem}; the weights are broken (pass --allow-non-finite to evaluate them anyway)");
                    AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {file}: {problem}; evaluated anyway (--allow-non-finite)");
                }
                Row(Path.GetFileName(file), loaded);
            }
            Row("random initialisation", Evaluation.RandomWeights(architecture, 1000));
            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }

    /// <summary>"tensor '0.weight' holds 3 non-finite values (the first, NaN, at index 7)", or null when all are finite.</summary>
    static string? NonFinite(IReadOnlyDictionary<string, float[]> weights)
    {
        foreach (var (name, values) in weights)
        {
            int first = Array.FindIndex(values, v => !float.IsFinite(v));
            if (first < 0) continue;
            int count = values.Count(v => !float.IsFinite(v));
            return $"tensor '{name}' holds {count} non-finite value(s) (the first, {values[first].ToString(System.Globalization.CultureInfo.InvariantCulture)}, at index {first})";
        }
        return null;
    }
}

using System.CommandLine;
using RawDiffusion.Data;
using RawDiffusion.Models;
using RawDiffusion.Training;
using Spectre.Console;

namespace RawDiffusion.Trainer;

/// <summary>`classify`: trains the engine's MLP and CNN classifiers on Fashion-MNIST (the committed subset, or the full set
/// with --data) and reports test accuracy — the networks a weight zoo is built from.</summary>
internal static class ClassifyCommand
{
    public sealed record Options(string? DataRoot, int Epochs, int BatchSize, double LearningRate, ulong Seed, string[] Models);

    public static Options DefaultOptions() => new(null, 3, 128, 1e-3, 1, ["mlp", "cnn"]);

    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Folder holding the Fashion-MNIST IDX files (default: data/ in the repository, or RAWDIFFUSION_DATA)" };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs", DefaultValueFactory = _ => 3 }.Check(v => v < 1 ? "--epochs must be at least 1" : null);
        var batch = new Option<int>("--batch-size") { Description = "Images per step", DefaultValueFactory = _ => 128 }.Check(v => v < 1 ? "--batch-size must be at least 1" : null);
        var lr = new Option<double>("--lr") { Description = "AdamW learning rate", DefaultValueFactory = _ => 1e-3 }.Check(v => v > 0 ? null : "--lr must be positive");
        var seed = new Option<ulong>("--seed") { Description = "Seed for initialisation and shuffling", DefaultValueFactory = _ => 1UL };
        var models = new Option<string[]>("--models") { Description = "Which networks: mlp, cnn, zoo-cnn", DefaultValueFactory = _ => ["mlp", "cnn"], AllowMultipleArgumentsPerToken = true }
            .Check(v => (v ?? []).FirstOrDefault(m => m is not ("mlp" or "cnn" or "zoo-cnn")) is { } bad ? $"--models: unknown network \"{bad}\" (choose from mlp, cnn, zoo-cnn)" : null);
        var command = new Command("classify", "Train image classifiers on Fashion-MNIST and report test accuracy") { data, epochs, batch, lr, seed, models };
        command.SetAction(parse => Run(new Options(parse.GetValue(data), parse.GetValue(epochs), parse.GetValue(batch), parse.GetValue(lr), parse.GetValue(seed), parse.GetValue(models)!)));
        return command;
    }

    public static int Run(Options options)
    {
        LabeledImages train, test;
        try
        {
            train = Datasets.FashionMnist(Split.Train, options.DataRoot);
            test = Datasets.FashionMnist(Split.Test, options.DataRoot);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
        AnsiConsole.MarkupLineInterpolated($"Fashion-MNIST: {train.Count} training and {test.Count} test images; on {RawDiffusion.Backends.Backend.DefaultDescription}");
        var table = new Table().AddColumns("network", "parameters", "epochs", "final train loss", "test accuracy", "time");
        foreach (var name in options.Models)
        {
            var generator = new Generator(options.Seed);
            var model = name switch
            {
                "mlp" => ImageClassifiers.Mlp(784, [256, 128], 10, generator),
                "cnn" => ImageClassifiers.Cnn(28, [16, 32], 10, generator),
                _ => ImageClassifiers.ZooCnn(10, generator),
            };
            var settings = new ClassifierTrainingOptions { Epochs = options.Epochs, BatchSize = options.BatchSize, LearningRate = options.LearningRate, Seed = options.Seed };
            IReadOnlyList<EpochResult> results = [];
            AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"{name}", maxValue: options.Epochs);
                    results = ClassifierTraining.Train(model, train, test, settings, r =>
                    {
                        task.Description = $"{name}: epoch {r.Epoch} loss {r.TrainLoss:F3} test {r.TestAccuracy:P1}";
                        task.Increment(1);
                    });
                });
            var last = results[^1];
            table.AddRow(name, model.ParameterCount.ToString("N0"), options.Epochs.ToString(), last.TrainLoss.ToString("F4"), $"{last.TestAccuracy:P2}", $"{last.Elapsed.TotalSeconds:F1} s");
        }
        AnsiConsole.Write(table);
        return 0;
    }
}

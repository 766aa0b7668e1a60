using System.CommandLine;
using RawDiffusion.Pipeline;
using RawDiffusion.Tasks;

namespace RawDiffusion.Trainer;

/// <summary>The text condition's options of `sample` (beside `--task`): a description for runs that encode text with
/// the built-in hashed encoder, or an embedding .npy for runs trained on the user's own embeddings. A run without a
/// text condition refuses both, naming what it was trained with.</summary>
internal sealed class ConditionOptions
{
    public Option<string?> Text { get; } = new("--text")
    {
        Description = "The task's description, for a run conditioned on text (condition.kind \"text\", built-in encoder); default: its class names in output order, \"output 0: Sneaker; output 1: Bag; ...\"",
    };
    public Option<string?> TextEmbedding { get; } = new("--text-embedding")
    {
        Description = "The task's embedding as a .npy vector [D], for a run trained on your own text embeddings (condition.text.encoder \"embeddings\"); default: the task's row of the run's file",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Text);
        command.Options.Add(TextEmbedding);
        command.Validators.Add(r =>
        {
            if (Cli.ValueOrDefault(r, Text) != null && Cli.ValueOrDefault(r, TextEmbedding) != null) r.AddError("give either --text or --text-embedding, not both");
        });
    }

    /// <summary>The condition input of a task (null when it came from --examples) with its support set.</summary>
    public ConditionInput Input(ParseResult parse, TaskConditioner conditioner, TaskSpec? task, FeatureSet support, int perClass)
    {
        var file = parse.GetValue(TextEmbedding);
        // A run without user embeddings gets an empty vector, so the conditioner says what the run takes instead.
        float[]? embedding = file == null ? null : conditioner.UsesTextEmbeddings ? TextEmbeddingFile.LoadOne(file, conditioner.TextEmbeddingLength) : [];
        return new ConditionInput(task, support, perClass, parse.GetValue(Text), embedding);
    }
}

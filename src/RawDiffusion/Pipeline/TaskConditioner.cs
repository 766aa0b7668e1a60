using RawDiffusion.Tasks;
using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>What a condition may be made of for one task; each condition kind of the run takes the parts it needs:
/// "dataset" a support set (K rows per class, class by class), "task-id" a seen task, "text" a description (default:
/// built from the task's class names) or, with user embeddings, the task's row or an explicit embedding.</summary>
/// <param name="NullTaskWhenUnknown">For a task a task-id run never saw: condition on the null task (what the
/// generator can do without an id: its unconditional distribution) instead of refusing.</param>
public sealed record ConditionInput(TaskSpec? Task = null, FeatureSet? Support = null, int PerClass = 0, string? Text = null,
                                    float[]? TextEmbedding = null, bool NullTaskWhenUnknown = false);

/// <summary>A point in condition space: the UNet's vector condition of each generated vector of one weight set
/// ([VectorsPerSet * VectorLength]; empty without a vector condition) and, with a task-id condition, the weights of
/// the learned task embeddings (TaskCount + 1 values, the last one the null task): one-hot for a seen task, a mixture
/// between tasks when interpolating.</summary>
public sealed record ConditionPoint(float[] Vector, float[]? TaskWeights)
{
    /// <summary>(1 - t) a + t b, entry by entry (t = 0 gives a and t = 1 gives b exactly).</summary>
    public static ConditionPoint Lerp(ConditionPoint a, ConditionPoint b, double t)
    {
        if (a.Vector.Length != b.Vector.Length || (a.TaskWeights == null) != (b.TaskWeights == null))
            throw new ArgumentException("condition points of different runs cannot be interpolated");
        static float[] Mix(float[] x, float[] y, double t) => x.Select((v, i) => (float)((1 - t) * v + t * y[i])).ToArray();
        return new ConditionPoint(Mix(a.Vector, b.Vector, t), a.TaskWeights == null ? null : Mix(a.TaskWeights, b.TaskWeights!, t));
    }

    /// <summary>The task index when <see cref="TaskWeights"/> is exactly one-hot, else null.</summary>
    public int? TaskIndex
    {
        get
        {
            if (TaskWeights == null) return null;
            int hot = Array.IndexOf(TaskWeights, 1f);
            return hot >= 0 && TaskWeights.Count(w => w != 0) == 1 ? hot : null;
        }
    }
}

/// <summary>
/// Turns a task into the diffusion UNet's condition, for every condition kind of the run (<see cref="ConditionConfig"/>):
/// the dataset encoder's embedding of a support set or class-row prototypes (<see cref="SupportConditioner"/>), the
/// seen task's index into the UNet's learned task embeddings, and the text vector of the task's description
/// (<see cref="HashedTextEncoder"/> or the user's <see cref="TextEmbeddingFile"/>). Vector parts are concatenated in
/// the order condition.kind lists them. Training and sampling both go through here.
/// </summary>
public sealed class TaskConditioner : IDisposable
{
    readonly SupportConditioner? support;
    readonly HashedTextEncoder? hashed;
    readonly TextEmbeddingFile? embeddings;
    readonly Dictionary<string, int>? taskIndex;
    readonly string[] kinds;

    TaskConditioner(ConditionConfig config, SupportConditioner? support, HashedTextEncoder? hashed, TextEmbeddingFile? embeddings, IReadOnlyList<TaskSpec>? seen)
    {
        Config = config;
        kinds = config.Kind;
        this.support = support;
        this.hashed = hashed;
        this.embeddings = embeddings;
        if (seen != null)
        {
            taskIndex = seen.Select((t, i) => (t.Id, i)).ToDictionary(p => p.Id, p => p.i);
            SeenTasks = seen;
        }
        VectorLength = (support?.Length ?? 0) + TextLength;
    }

    public ConditionConfig Config { get; }

    /// <summary>Length of one vector condition (the sum of the vector parts; 0 for task ids alone).</summary>
    public int VectorLength { get; }

    /// <summary>The tasks a task-id condition knows, in the order of their embeddings (null without task ids).</summary>
    public IReadOnlyList<TaskSpec>? SeenTasks { get; }

    int TextLength => hashed?.Length ?? embeddings?.Length ?? 0;

    /// <summary>The run's conditioner; <paramref name="seen"/> are the zoo's tasks in manifest order (the task ids).</summary>
    public static TaskConditioner Load(PipelineConfig config, RunFolder run, IReadOnlyList<TaskSpec> seen)
    {
        var c = config.Condition;
        var support = c.Has(ConditionConfig.DatasetKind) ? SupportConditioner.Load(config, run) : null;
        var (hashed, embeddings) = TextEncoder(config);
        return new TaskConditioner(c, support, hashed, embeddings, c.Has(ConditionConfig.TaskIdKind) ? seen : null);
    }

    /// <summary>The text encoder of a config: the hashed one, the user's embeddings, or neither.</summary>
    public static (HashedTextEncoder?, TextEmbeddingFile?) TextEncoder(PipelineConfig config)
    {
        var c = config.Condition;
        if (!c.Has(ConditionConfig.TextKind)) return (null, null);
        return c.Text.Encoder == TextConditionConfig.Hashed ? (new HashedTextEncoder(c.Text.HashLength), null)
            : (null, TextEmbeddingFile.Load(c.Text.Embeddings!, c.Text.Tasks!));
    }

    public bool Has(string kind) => kinds.Contains(kind);
    public bool UsesHashedText => hashed != null;
    public bool UsesTextEmbeddings => embeddings != null;
    public int TextEmbeddingLength => embeddings?.Length ?? 0;

    /// <summary>Vector conditions per weight set: one per class row, or one for the whole head.</summary>
    public int VectorsPerSet(int classes) => support?.VectorsPerSet(classes) ?? 1;

    /// <summary>The condition of one weight set for <paramref name="input"/>.</summary>
    public ConditionPoint For(ConditionInput input, int classes)
    {
        float[]? supportPart = null;
        if (support != null)
        {
            var s = input.Support ?? throw new ArgumentException($"the run is conditioned on {Config.Describe()}: a support set (K examples per class) is needed");
            if (s.ClassCount != classes)
                throw new ArgumentException($"{s.Source}: {s.ClassCount} classes, but the zoo's architecture has {classes} outputs");
            if (input.PerClass < 1 || s.Count != classes * input.PerClass || Enumerable.Range(0, s.Count).Any(i => s.Labels[i] != i / input.PerClass))
                throw new ArgumentException($"{s.Source}: a support set must hold {input.PerClass} rows of each of the {classes} classes, class by class");
            supportPart = support.Encode(s.Features, 1, classes, input.PerClass, s.FeatureLength);
        }
        var text = TextVector(input);
        return Compose(supportPart, text, TaskWeights(input), VectorsPerSet(classes));
    }

    /// <summary>Conditions of <paramref name="draws"/> draws for seen task <paramref name="index"/> (training): the support
    /// part drawn from its training rows, the text and task parts fixed. [draws * VectorsPerSet * VectorLength].</summary>
    public float[] TrainingVectors(TaskSpec task, FeatureSet rows, int perClass, int draws, Generator generator)
    {
        int perSet = VectorsPerSet(rows.ClassCount);
        var supportPart = support?.Draw(rows, perClass, draws, generator);
        var text = TextVector(new ConditionInput(task));
        var result = new float[draws * perSet * VectorLength];
        for (int d = 0; d < draws; d++)
            Compose(supportPart?.AsSpan(d * perSet * (support!.Length), perSet * support.Length).ToArray(), text, null, perSet).Vector.CopyTo(result.AsSpan(d * perSet * VectorLength));
        return result;
    }

    /// <summary>The index of a seen task among the task embeddings.</summary>
    public int IndexOf(TaskSpec task) => taskIndex != null && taskIndex.TryGetValue(task.Id, out int i) ? i
        : throw new ArgumentException($"task {task.Id} is unknown to this task-id run: it learned embeddings for the {taskIndex?.Count ?? 0} seen tasks of its zoo (tasks.json, \"seen\"), and a task id cannot condition on any other task");

    float[]? TaskWeights(ConditionInput input)
    {
        if (taskIndex == null) return null;
        var weights = new float[taskIndex.Count + 1];
        if (input.Task == null) throw new ArgumentException($"the run is conditioned on {Config.Describe()}: give the task (--task) whose id it learned");
        if (input.NullTaskWhenUnknown && !taskIndex.ContainsKey(input.Task.Id)) weights[^1] = 1;
        else weights[IndexOf(input.Task)] = 1;
        return weights;
    }

    float[]? TextVector(ConditionInput input)
    {
        if (hashed != null)
        {
            if (input.TextEmbedding != null) throw new ArgumentException("the run encodes text with the built-in hashed encoder (condition.text.encoder \"hashed\"); give the description as text (--text), not an embedding");
            string text = input.Text ?? (input.Task != null ? HashedTextEncoder.Describe(input.Task)
                : throw new ArgumentException($"the run is conditioned on {Config.Describe()}: give a task (its class names make the description) or a description (--text)"));
            return hashed.Encode(text);
        }
        if (embeddings != null)
        {
            if (input.Text != null) throw new ArgumentException($"the run's text condition is the user's embeddings ({embeddings.Source}), which cannot encode new text; give the task's embedding as a .npy vector (--text-embedding)");
            if (input.TextEmbedding != null)
                return input.TextEmbedding.Length == embeddings.Length ? input.TextEmbedding
                    : throw new ArgumentException($"a task embedding of {input.TextEmbedding.Length} values, the run's embeddings have {embeddings.Length}");
            if (input.Task == null) throw new ArgumentException($"the run is conditioned on {Config.Describe()}: give a task listed in condition.text.tasks or its embedding (--text-embedding)");
            return embeddings.For(input.Task.Id);
        }
        if (input.Text != null) throw new ArgumentException($"the run was trained with condition.kind [{string.Join(", ", kinds)}], without a text condition; --text cannot be used");
        if (input.TextEmbedding != null) throw new ArgumentException($"the run was trained with condition.kind [{string.Join(", ", kinds)}], without a text condition; --text-embedding cannot be used");
        return null;
    }

    /// <summary>Concatenates the vector parts in condition.kind order, for each of the set's vectors (the support part
    /// differs per class row; the text part is the same for all).</summary>
    ConditionPoint Compose(float[]? supportPart, float[]? text, float[]? taskWeights, int perSet)
    {
        var vector = new float[perSet * VectorLength];
        for (int v = 0; v < perSet; v++)
        {
            int at = v * VectorLength;
            foreach (var kind in kinds)
            {
                if (kind == ConditionConfig.DatasetKind)
                {
                    supportPart!.AsSpan(v * support!.Length, support.Length).CopyTo(vector.AsSpan(at));
                    at += support.Length;
                }
                else if (kind == ConditionConfig.TextKind)
                {
                    text!.CopyTo(vector.AsSpan(at));
                    at += text!.Length;
                }
            }
        }
        return new ConditionPoint(vector, taskWeights);
    }

    public void Dispose() => support?.Dispose();
}

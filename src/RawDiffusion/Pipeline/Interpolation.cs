using RawDiffusion.Tasks;
using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>One point of an interpolation path: the mix t (0 = the first task's condition, 1 = the second's) and the
/// test accuracy of every generated sample on each task's held-out rows (in that task's class order).</summary>
public sealed record InterpolationPoint(double T, double[] OnFrom, double[] OnTo)
{
    public double MeanFrom => OnFrom.Average();
    public double MeanTo => OnTo.Average();
    public double SdFrom => Statistics.Std(OnFrom);
    public double SdTo => Statistics.Std(OnTo);
}

/// <summary>A path between two tasks in condition space: the classes they share (as sets, and at the same output
/// position), the mean test accuracy of each task's own zoo models (null for a task outside the zoo), and the points.</summary>
public sealed record InterpolationPath(string From, string To, int SharedClasses, int SharedPositions, double? ZooFrom, double? ZooTo,
                                       IReadOnlyList<InterpolationPoint> Points);

/// <summary>
/// Linear interpolation between two tasks in the run's condition space, for every condition kind: each task's
/// condition point (<see cref="TaskConditioner"/>: the dataset embedding of a support set drawn from its training
/// rows, its one-hot weights over the learned task embeddings, its text vector) is mixed as (1 - t) a + t b, and each
/// point's generated weights are scored on both tasks. Every point draws its noise from the same seed, so the path
/// changes only the condition, and its endpoints are exactly what direct generation for each task gives with that seed.
/// </summary>
public static class Interpolation
{
    /// <summary>The condition point of a task as the run conditions it (the support set drawn from <paramref name="seed"/>).</summary>
    public static ConditionPoint PointOf(WeightGenerator generator, RunData data, TaskSpec task, ulong seed)
    {
        int k = generator.Config.Sampling.SupportPerClass;
        var train = data.For(task).Train;
        var support = train.Select(train.SupportIndices(k, new Generator(seed)));
        return generator.Conditioner.For(new ConditionInput(task, support, k), generator.Architecture.Classes);
    }

    /// <summary>The generator's noise for every point of a path (and for direct generation it is compared with).</summary>
    public static Generator Noise(ulong seed) => new(seed * 0x9E3779B97F4A7C15UL + 17);

    /// <summary>The samples generated at mix <paramref name="t"/>.</summary>
    public static IReadOnlyList<Dictionary<string, float[]>> Weights(WeightGenerator generator, ConditionPoint from, ConditionPoint to, double t, int samples, ulong seed,
                                                                     CancellationToken cancel = default) =>
        generator.Generate(ConditionPoint.Lerp(from, to, t), samples, Noise(seed), cancel);

    public static InterpolationPath Run(WeightGenerator generator, RunData data, TaskSpec from, TaskSpec to, int steps, int samples, ulong seed,
                                       ZooManifest? zoo = null, CancellationToken cancel = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var architecture = generator.Architecture;
        if (from.ClassCount != architecture.Classes || to.ClassCount != architecture.Classes)
            throw new ArgumentException($"tasks of {from.ClassCount} and {to.ClassCount} classes, but the run's architecture \"{architecture.Name}\" has {architecture.Classes} outputs");
        var a = PointOf(generator, data, from, seed);
        var b = PointOf(generator, data, to, seed + 1);
        var testFrom = data.InputsFor(from, architecture).Test;
        var testTo = data.InputsFor(to, architecture).Test;
        var points = new List<InterpolationPoint>();
        for (int i = 0; i <= steps; i++)
        {
            double t = (double)i / steps;
            var weights = Weights(generator, a, b, t, samples, seed, cancel);
            points.Add(new InterpolationPoint(t, weights.Select(w => Evaluation.Accuracy(architecture, w, testFrom)).ToArray(),
                                              weights.Select(w => Evaluation.Accuracy(architecture, w, testTo)).ToArray()));
        }
        return new InterpolationPath(from.Id, to.Id, from.Classes.Intersect(to.Classes).Count(), from.Classes.Zip(to.Classes).Count(p => p.First == p.Second),
                                     ZooAccuracy(zoo, from), ZooAccuracy(zoo, to), points);
    }

    /// <summary>Mean test accuracy the zoo recorded for a task's checkpoints; null when the task is not in the zoo.</summary>
    public static double? ZooAccuracy(ZooManifest? zoo, TaskSpec task)
    {
        var accuracies = zoo?.EntriesFor(task.Id).Select(e => e.TestAccuracy).Where(a => a != null).Select(a => a!.Value).ToArray();
        return accuracies == null || accuracies.Length == 0 ? null : accuracies.Average();
    }

    /// <summary><paramref name="count"/> pairs of seen tasks that share all classes but one (as sets), in an order drawn
    /// from <paramref name="seed"/>, no task used twice.</summary>
    public static IReadOnlyList<(TaskSpec From, TaskSpec To)> SimilarPairs(IReadOnlyList<TaskSpec> tasks, int count, ulong seed) =>
        Pairs(tasks, count, seed, (a, b) => a.Classes.Intersect(b.Classes).Count() == a.ClassCount - 1, "share all classes but one");

    /// <summary><paramref name="count"/> pairs of seen tasks that share at most one class, drawn as <see cref="SimilarPairs"/>.</summary>
    public static IReadOnlyList<(TaskSpec From, TaskSpec To)> DissimilarPairs(IReadOnlyList<TaskSpec> tasks, int count, ulong seed) =>
        Pairs(tasks, count, seed, (a, b) => a.Classes.Intersect(b.Classes).Count() <= 1, "share at most one class");

    static IReadOnlyList<(TaskSpec, TaskSpec)> Pairs(IReadOnlyList<TaskSpec> tasks, int count, ulong seed, Func<TaskSpec, TaskSpec, bool> keep, string what)
    {
        var order = new Generator(seed).Permutation(tasks.Count);
        var used = new HashSet<int>();
        var pairs = new List<(TaskSpec, TaskSpec)>();
        for (int i = 0; i < order.Length && pairs.Count < count; i++)
        {
            if (used.Contains(order[i])) continue;
            for (int j = i + 1; j < order.Length; j++)
            {
                if (used.Contains(order[j]) || !keep(tasks[order[i]], tasks[order[j]])) continue;
                pairs.Add((tasks[order[i]], tasks[order[j]]));
                used.Add(order[i]);
                used.Add(order[j]);
                break;
            }
        }
        if (pairs.Count < count)
            throw new ArgumentException($"only {pairs.Count} pairs of the {tasks.Count} seen tasks {what} (without reusing a task); ask for fewer pairs");
        return pairs;
    }
}

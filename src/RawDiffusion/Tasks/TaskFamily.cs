namespace RawDiffusion.Tasks;

/// <summary>
/// The default task family: tasks that keep k classes out of a pool of real classes, in a random (recorded) order.
/// Seen tasks make the zoo; unseen tasks are class combinations whose class set no seen task has.
/// </summary>
public static class TaskFamily
{
    /// <summary><paramref name="count"/> distinct ordered k-class tasks of <paramref name="domain"/>, skipping any whose
    /// class set is in <paramref name="excludedSets"/> (or whose id is already drawn).</summary>
    public static IReadOnlyList<TaskSpec> Draw(string domain, IReadOnlyList<string> classNames, int classesPerTask, int count, ulong seed,
                                               IEnumerable<TaskSpec>? excludedSets = null)
    {
        if (classesPerTask < 2 || classesPerTask > classNames.Count)
            throw new ArgumentException($"classes per task must be between 2 and the {classNames.Count} classes of {domain} (got {classesPerTask})", nameof(classesPerTask));
        var excluded = new HashSet<string>((excludedSets ?? []).Select(t => SetKey(t.Domain, t.Classes)));
        long available = Combinations(classNames.Count, classesPerTask) - excluded.Count(k => k.StartsWith(domain + ":", StringComparison.Ordinal));
        if (available < 1 || count > available * Factorial(classesPerTask))
            throw new ArgumentException($"{domain}: cannot draw {count} tasks of {classesPerTask} classes; only {Math.Max(available, 0)} class sets are allowed", nameof(count));
        var rng = new Generator(seed).HostRandom();
        var tasks = new List<TaskSpec>();
        var ids = new HashSet<string>();
        for (int attempts = 0; tasks.Count < count; attempts++)
        {
            if (attempts > 1000 * (count + 10)) throw new InvalidOperationException($"{domain}: could not draw {count} distinct tasks");
            var pool = Enumerable.Range(0, classNames.Count).ToArray();
            rng.Shuffle(pool);
            var classes = pool[..classesPerTask];
            if (excluded.Contains(SetKey(domain, classes)) || !ids.Add(TaskSpec.IdOf(domain, classes))) continue;
            tasks.Add(TaskSpec.Create(domain, classes, classNames));
        }
        return tasks;
    }

    static string SetKey(string domain, int[] classes) => $"{domain}:{string.Join("-", classes.Order())}";

    static long Combinations(int n, int k)
    {
        long r = 1;
        for (int i = 1; i <= k; i++) r = r * (n - k + i) / i;
        return r;
    }

    static long Factorial(int k) => k <= 1 ? 1 : k * Factorial(k - 1);
}

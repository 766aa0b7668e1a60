namespace RawDiffusion.Tasks;

/// <summary>
/// A classification task: the classes of a labelled dataset (the domain) that it keeps, in the order of the
/// classifier's outputs — output j predicts original class Classes[j]. The id spells domain and order, e.g.
/// "fashion-mnist:3-7-1-0-9", so two orders of the same classes are two tasks.
/// </summary>
public sealed record TaskSpec(string Id, string Domain, int[] Classes, string[] ClassNames)
{
    public int ClassCount => Classes.Length;

    /// <summary>The task that keeps <paramref name="classes"/> of <paramref name="domain"/> in that order.</summary>
    public static TaskSpec Create(string domain, int[] classes, IReadOnlyList<string> domainClassNames)
    {
        if (classes.Length < 2) throw new ArgumentException($"a task needs at least 2 classes (got {classes.Length})", nameof(classes));
        if (classes.Distinct().Count() != classes.Length) throw new ArgumentException($"task classes [{string.Join(", ", classes)}] repeat a class", nameof(classes));
        foreach (var c in classes)
            if ((uint)c >= (uint)domainClassNames.Count)
                throw new ArgumentException($"class {c} is not a class of {domain} (0..{domainClassNames.Count - 1})", nameof(classes));
        return new TaskSpec(IdOf(domain, classes), domain, classes.ToArray(), classes.Select(c => domainClassNames[c]).ToArray());
    }

    /// <summary>The task an id "domain:c0-c1-..." names; the domain must be one of <paramref name="domainClassNames"/>.</summary>
    public static TaskSpec Parse(string id, IReadOnlyDictionary<string, IReadOnlyList<string>> domainClassNames)
    {
        int colon = id.LastIndexOf(':');
        if (colon <= 0) throw new FormatException($"\"{id}\" is not a task id \"domain:c0-c1-...\" (e.g. fashion-mnist:3-7-1-0-9)");
        string domain = id[..colon];
        if (!domainClassNames.TryGetValue(domain, out var names))
            throw new FormatException($"unknown task domain \"{domain}\" (known: {string.Join(", ", domainClassNames.Keys)})");
        var parts = id[(colon + 1)..].Split('-');
        var classes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out classes[i]))
                throw new FormatException($"bad class list \"{id[(colon + 1)..]}\" in \"{id}\": \"{parts[i]}\" is not a class index (write e.g. 0-3-7)");
        try { return Create(domain, classes, names); }
        catch (ArgumentException e) { throw new FormatException($"bad class list in \"{id}\": {e.Message}", e); }
    }

    public static string IdOf(string domain, int[] classes) => $"{domain}:{string.Join("-", classes)}";

    /// <summary>The same classes regardless of order.</summary>
    public bool SameClassSet(TaskSpec other) => Domain == other.Domain && Classes.Order().SequenceEqual(other.Classes.Order());

    public bool Equals(TaskSpec? other) => other is not null && Id == other.Id;

    public override int GetHashCode() => Id.GetHashCode();

    public override string ToString() => $"{Id} ({string.Join(", ", ClassNames)})";
}

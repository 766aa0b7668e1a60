using RawDiffusion.Tasks;

namespace RawDiffusion.Zoo;

/// <summary>A task as zoo.json stores it: the <see cref="TaskSpec"/> fields, checked against each other on load.</summary>
public sealed record ZooTask
{
    public string Id { get; init; } = "";
    public string Domain { get; init; } = "";
    /// <summary>Original class indices in output order.</summary>
    public int[] Classes { get; init; } = [];
    public string[] ClassNames { get; init; } = [];

    public static ZooTask From(TaskSpec task) => new() { Id = task.Id, Domain = task.Domain, Classes = task.Classes.ToArray(), ClassNames = task.ClassNames.ToArray() };

    public TaskSpec ToTaskSpec() => new(Id, Domain, Classes.ToArray(), ClassNames.ToArray());

    /// <summary>The file-name-safe form of the id (':' is not allowed in Windows file names).</summary>
    public static string FolderName(string taskId) => taskId.Replace(':', '_');

    public void Validate(string where)
    {
        if (string.IsNullOrWhiteSpace(Domain)) throw new FormatException($"{where}: field \"domain\" must be a non-empty name");
        if (Classes.Length < 2) throw new FormatException($"{where}: field \"classes\" must list at least 2 classes (got {Classes.Length})");
        if (Classes.Any(c => c < 0) || Classes.Distinct().Count() != Classes.Length)
            throw new FormatException($"{where}: field \"classes\" [{string.Join(", ", Classes)}] must be distinct non-negative class indices");
        string expected = TaskSpec.IdOf(Domain, Classes);
        if (Id != expected) throw new FormatException($"{where}: field \"id\" is \"{Id}\" but domain and classes spell \"{expected}\"");
        if (ClassNames.Length != Classes.Length)
            throw new FormatException($"{where}: field \"classNames\" has {ClassNames.Length} names for {Classes.Length} classes");
    }
}

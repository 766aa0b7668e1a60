namespace RawDiffusion.Zoo;

/// <summary>One named tensor of a target architecture's state dict: its key and shape.</summary>
public sealed record TensorSpec(string Name, int[] Shape)
{
    public long Numel => Shape.Aggregate(1L, (a, b) => a * b);

    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";

    public bool Equals(TensorSpec? other) => other is not null && Name == other.Name && Shape.AsSpan().SequenceEqual(other.Shape);

    public override int GetHashCode() => HashCode.Combine(Name, Shape.Length);
}

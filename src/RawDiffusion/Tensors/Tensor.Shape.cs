using RawDiffusion.Ops;

namespace RawDiffusion;

/// <summary>Views and copies that rearrange elements: expand, slice, concat, split, pad, squeeze, flatten.</summary>
public sealed partial class Tensor
{
    /// <summary>Broadcasts size-1 dimensions to <paramref name="shape"/> (new leading dimensions allowed, -1 keeps a
    /// size) as a view with stride 0 in the stretched dimensions; nothing is copied. Like torch.Tensor.expand.</summary>
    public Tensor Expand(params int[] shape) => ExpandFunction.Apply(this, shape);

    /// <summary>Elements [start, start + length) of <paramref name="axis"/> as a view (a negative start counts from the end).</summary>
    public Tensor Slice(int axis, int start, int length) => SliceFunction.Apply(this, axis, start, length);

    /// <summary>PyTorch's name for <see cref="Slice"/>.</summary>
    public Tensor Narrow(int axis, int start, int length) => SliceFunction.Apply(this, axis, start, length);

    /// <summary>Joins tensors of equal shape except along <paramref name="axis"/> into a new tensor (torch.cat).</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int axis = 0) => ConcatFunction.Apply(tensors, axis);

    /// <summary>Views of consecutive ranges of <paramref name="axis"/> with the given sizes, which must add up to the axis size.</summary>
    public Tensor[] Split(int[] sizes, int axis = 0)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        int a = ShapeMath.NormalizeAxis(axis, Rank, nameof(axis));
        long total = 0;
        foreach (var s in sizes)
        {
            if (s < 0) throw new ArgumentException($"split sizes [{string.Join(", ", sizes)}] contain a negative size", nameof(sizes));
            total += s;
        }
        if (total != shape[a])
            throw new ArgumentException($"split sizes [{string.Join(", ", sizes)}] add up to {total}, but axis {a} of {ShapeMath.Format(shape)} has size {shape[a]}", nameof(sizes));
        var parts = new Tensor[sizes.Length];
        for (int i = 0, start = 0; i < sizes.Length; start += sizes[i], i++) parts[i] = SliceFunction.Apply(this, a, start, sizes[i]);
        return parts;
    }

    /// <summary>Splits <paramref name="axis"/> into views of ceil(size / chunks) elements, the last one smaller
    /// (so there may be fewer than <paramref name="chunks"/> pieces), like torch.chunk.</summary>
    public Tensor[] Chunk(int chunks, int axis = 0)
    {
        if (chunks <= 0) throw new ArgumentOutOfRangeException(nameof(chunks), chunks, "chunk needs a positive number of chunks");
        int a = ShapeMath.NormalizeAxis(axis, Rank, nameof(axis));
        int size = shape[a];
        if (size == 0) return Split(new int[chunks], a);
        int piece = (size + chunks - 1) / chunks;
        var sizes = new int[(size + piece - 1) / piece];
        for (int i = 0; i < sizes.Length; i++) sizes[i] = Math.Min(piece, size - i * piece);
        return Split(sizes, a);
    }

    /// <summary>Pads the trailing dimensions with <paramref name="value"/>: <paramref name="padding"/> holds (left, right)
    /// pairs, the last dimension first, as PyTorch's F.pad (constant mode); negative amounts crop.</summary>
    public Tensor Pad(int[] padding, double value = 0) => PadFunction.Apply(this, padding, value);

    /// <summary>Removes size-1 dimensions (all of them when no axes are given; listed axes whose size is not 1 are kept, as in PyTorch). A view.</summary>
    public Tensor Squeeze(params int[] axes)
    {
        var drop = new bool[Rank];
        if (axes.Length == 0) for (int d = 0; d < Rank; d++) drop[d] = shape[d] == 1;
        foreach (var axis in axes)
        {
            int d = ShapeMath.NormalizeAxis(axis, Rank, nameof(axes));
            drop[d] = shape[d] == 1;
        }
        var kept = new List<int>();
        for (int d = 0; d < Rank; d++) if (!drop[d]) kept.Add(shape[d]);
        return ViewFunction.Apply(this, [.. kept]);
    }

    /// <summary>Inserts a size-1 dimension at <paramref name="axis"/> (in [-rank - 1, rank]). A view.</summary>
    public Tensor Unsqueeze(int axis)
    {
        int a = ShapeMath.NormalizeAxis(axis, Rank + 1, nameof(axis));
        var result = new List<int>(shape);
        result.Insert(a, 1);
        return ViewFunction.Apply(this, [.. result]);
    }

    /// <summary>Merges dimensions <paramref name="startAxis"/>..<paramref name="endAxis"/> (inclusive) into one: a view
    /// when their strides allow, a copy otherwise. A scalar becomes shape [1].</summary>
    public Tensor Flatten(int startAxis = 0, int endAxis = -1)
    {
        if (Rank == 0) return ViewFunction.Apply(this, [1]);
        int start = ShapeMath.NormalizeAxis(startAxis, Rank, nameof(startAxis)), end = ShapeMath.NormalizeAxis(endAxis, Rank, nameof(endAxis));
        if (start > end)
            throw new ArgumentException($"flatten of {ShapeMath.Format(shape)}: start axis {start} comes after end axis {end}", nameof(startAxis));
        long merged = 1;
        for (int d = start; d <= end; d++) merged *= shape[d];
        if (merged > int.MaxValue) throw new ArgumentException($"flatten of {ShapeMath.Format(shape)} gives a dimension of {merged} elements", nameof(endAxis));
        var result = new List<int>();
        for (int d = 0; d < start; d++) result.Add(shape[d]);
        result.Add((int)merged);
        for (int d = end + 1; d < Rank; d++) result.Add(shape[d]);
        return ViewFunction.Apply(this, [.. result]);
    }
}

using System.Runtime.InteropServices;

namespace RawDiffusion.Cuda.Kernels;

/// <summary>The strided kernels' view description, passed by value as one kernel argument. Byte for byte the
/// <c>StridedLayout</c> struct of kernels/common.cuh: numel at 0, strides[3][6] at 8, rank at 152, sizes[6] at 156,
/// 184 bytes in all (a test pins these offsets; the .cu side asserts the size).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct StridedLayout
{
    public const int MaxDims = 6;
    public const int MaxOperands = 3;

    public long Numel;
    /// <summary>[operand, dim], operand 0 the destination; elements, offsets excluded.</summary>
    public fixed long Strides[MaxOperands * MaxDims];
    public int Rank;
    public fixed int Sizes[MaxDims];

    /// <summary>The layout of dims [first, first + rank) of a coalesced shape (rank ≤ <see cref="MaxDims"/>).</summary>
    public static StridedLayout From(CoalescedShape shape, int first, int rank)
    {
        if (rank > MaxDims) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"a strided kernel takes at most {MaxDims} dims");
        if (shape.Operands > MaxOperands) throw new ArgumentException($"a strided kernel takes at most {MaxOperands} operands", nameof(shape));
        var layout = new StridedLayout { Rank = rank, Numel = 1 };
        for (int d = 0; d < rank; d++)
        {
            layout.Sizes[d] = shape.Sizes[first + d];
            layout.Numel *= shape.Sizes[first + d];
            for (int k = 0; k < shape.Operands; k++) layout.Strides[k * MaxDims + d] = shape.Strides[k][first + d];
        }
        return layout;
    }
}

/// <summary>One launch's worth of a strided operation: element offsets to add to each operand's pointer, and the layout.</summary>
internal readonly record struct StridedPart(long[] Offsets, StridedLayout Layout);

/// <summary>A shape seen through several views with dimensions coalesced: size-1 dims dropped, and adjacent dims
/// merged wherever they are contiguous in every view (the same rule as the CPU's StridedLoop). Most real views
/// coalesce to one or two dims, so the kernels' per-element index arithmetic stays short.</summary>
internal sealed class CoalescedShape
{
    CoalescedShape(int[] sizes, long[][] strides)
    {
        Sizes = sizes;
        Strides = strides;
    }

    /// <summary>Outermost first; never empty (a scalar is [1], an empty shape [0]).</summary>
    public int[] Sizes { get; }
    /// <summary>[operand][dim].</summary>
    public long[][] Strides { get; }
    public int Rank => Sizes.Length;
    public int Operands => Strides.Length;
    public long Numel => Sizes.Aggregate(1L, (n, s) => n * s);

    /// <summary>True when every view is dense and in the same order: the contiguous kernels apply.</summary>
    public bool IsContiguous => Rank == 1 && Strides.All(s => s[0] == 1);

    public static CoalescedShape Create(int[] shape, params long[][] strides)
    {
        foreach (var s in strides)
            if (s.Length != shape.Length)
                throw new ArgumentException($"strides of rank {s.Length} for a shape of rank {shape.Length}", nameof(strides));
        if (shape.Any(s => s == 0)) return new([0], [.. strides.Select(_ => new long[] { 1 })]);
        var sizes = new List<int>();
        var merged = strides.Select(_ => new List<long>()).ToArray();
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1) continue;
            int last = sizes.Count - 1;
            bool merge = last >= 0;
            for (int k = 0; k < strides.Length && merge; k++) merge = merged[k][last] == strides[k][i] * shape[i];
            if (merge)
            {
                sizes[last] *= shape[i];
                for (int k = 0; k < strides.Length; k++) merged[k][last] = strides[k][i];
            }
            else
            {
                sizes.Add(shape[i]);
                for (int k = 0; k < strides.Length; k++) merged[k].Add(strides[k][i]);
            }
        }
        if (sizes.Count == 0) return new([1], [.. strides.Select(_ => new long[] { 1 })]);
        return new([.. sizes], [.. merged.Select(m => m.ToArray())]);
    }

    /// <summary>The launches that cover the shape: one when it coalesces to at most <see cref="StridedLayout.MaxDims"/>
    /// dims; otherwise one per index of the leading dims beyond that, each with its operands' offsets.</summary>
    public IEnumerable<StridedPart> Parts()
    {
        int inner = Math.Min(Rank, StridedLayout.MaxDims), lead = Rank - inner;
        var layout = StridedLayout.From(this, lead, inner);
        long count = 1;
        for (int d = 0; d < lead; d++) count *= Sizes[d];
        for (long index = 0; index < count; index++)
        {
            var offsets = new long[Operands];
            long rest = index;
            for (int d = lead - 1; d >= 0; d--)
            {
                long coordinate = rest % Sizes[d];
                rest /= Sizes[d];
                for (int k = 0; k < Operands; k++) offsets[k] += coordinate * Strides[k][d];
            }
            yield return new StridedPart(offsets, layout);
        }
    }
}

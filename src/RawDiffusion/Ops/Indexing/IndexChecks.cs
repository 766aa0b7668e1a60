namespace RawDiffusion.Ops;

/// <summary>Argument checks shared by the indexing ops: index tensors must be Int32 on the data's backend and every
/// index must lie in range; a bad index is reported by value and by its position in the index tensor.</summary>
internal static class IndexChecks
{
    /// <summary>The index tensor as a contiguous Int32 tensor on <paramref name="data"/>'s backend (copied only when strided;
    /// the op keeps the copy for its backward, or disposes it when there is none).</summary>
    public static Tensor Contiguous(Tensor index, Tensor data, string op, string argument)
    {
        if (index.DType != DType.Int32)
            throw new ArgumentException($"{op}: {argument} must be an Int32 tensor, got {index.DType}", argument);
        if (!ReferenceEquals(index.Backend, data.Backend))
            throw new ArgumentException($"{op}: {argument} lives on {index.Backend.Name} but the data on {data.Backend.Name}", argument);
        return index.IsContiguous ? index : Kernels.Copy(index);
    }

    /// <summary>Throws when any element of the contiguous <paramref name="index"/> is outside [0, <paramref name="limit"/>);
    /// <paramref name="range"/> says what the index addresses (for the message).</summary>
    public static void RequireInRange(Tensor index, int limit, string op, string argument, string range)
    {
        long position = index.Backend.FindIndexOutOfRange(index.Storage.Buffer, index.Offset, index.Numel, limit);
        if (position < 0) return;
        Span<int> value = stackalloc int[1];
        index.Backend.Download<int>(index.Storage.Buffer, index.Offset + position, value);
        var at = new int[index.Rank];
        long rest = position;
        for (int d = index.Rank - 1; d >= 0; d--)
        {
            at[d] = (int)(rest % index.Shape[d]);
            rest /= index.Shape[d];
        }
        throw new ArgumentOutOfRangeException(argument, value[0],
            $"{op}: index {value[0]} at position {ShapeMath.Format(at)} of {argument} is out of range [0, {limit}) for {range}");
    }
}

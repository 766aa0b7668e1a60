using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>Constant padding of the trailing dimensions, PyTorch's F.pad order: (left, right) of the last dimension,
/// then of the one before it, and so on. Negative amounts crop. The gradient is the output gradient padded by the
/// negated amounts: the crop of a pad is the interior, the zero pad of a crop restores the cropped border.</summary>
internal sealed class PadFunction : Function
{
    int[] padding = [];

    public static Tensor Apply(Tensor x, int[] padding, double value)
    {
        ArgumentNullException.ThrowIfNull(padding);
        if (padding.Length % 2 != 0 || padding.Length > 2 * x.Rank)
            throw new ArgumentException($"pad of a tensor {ShapeMath.Format(x.Shape)} needs (left, right) pairs for at most {x.Rank} trailing dimensions, got {padding.Length} values", nameof(padding));
        var shape = x.ShapeArray;
        var source = x.View;
        bool grows = false;
        var destinationStarts = new int[x.Rank];
        var copyLengths = x.ShapeArray;
        for (int p = 0; p < padding.Length / 2; p++)
        {
            int d = x.Rank - 1 - p, before = padding[2 * p], after = padding[2 * p + 1];
            long size = (long)shape[d] + before + after;
            if (size < 0 || size > int.MaxValue)
                throw new ArgumentException($"pad [{string.Join(", ", padding)}] of {ShapeMath.Format(x.Shape)} gives dimension {d} size {size}", nameof(padding));
            grows |= before > 0 || after > 0;
            int cropBefore = Math.Max(0, -before), cropAfter = Math.Max(0, -after);
            copyLengths[d] = Math.Max(0, shape[d] - cropBefore - cropAfter);
            source = SliceFunction.Narrow(source, d, Math.Min(cropBefore, shape[d]), copyLengths[d]);
            destinationStarts[d] = Math.Max(0, before);
            shape[d] = (int)size;
        }

        var y = grows ? Tensor.Full(shape, value, x.DType, x.Backend) : Tensor.Empty(shape, x.DType, x.Backend);
        if (ShapeMath.Numel(copyLengths) > 0)
        {
            var destination = y.View;
            for (int d = 0; d < x.Rank; d++) destination = SliceFunction.Narrow(destination, d, destinationStarts[d], copyLengths[d]);
            y.Backend.Unary(UnaryOp.Copy, source, destination);
        }
        return new PadFunction { padding = (int[])padding.Clone() }.Connect(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor g) => [Apply(g, Array.ConvertAll(padding, p => -p), 0)];
}

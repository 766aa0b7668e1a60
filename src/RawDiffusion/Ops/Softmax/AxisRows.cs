namespace RawDiffusion.Ops;

/// <summary>Brings one axis of a tensor to the end, so row primitives (softmax, losses) can work on contiguous
/// [rows, n] blocks. All views here are outside the graph: the functions that use them record their own.</summary>
internal static class AxisRows
{
    /// <summary><paramref name="x"/> itself when contiguous, else a contiguous copy.</summary>
    public static Tensor Dense(Tensor x) => x.IsContiguous ? x : Kernels.Copy(x);

    /// <summary>The permutation that moves <paramref name="axis"/> to the end and keeps the other axes in order.</summary>
    public static int[] MoveToEnd(int rank, int axis)
    {
        var order = new int[rank];
        for (int i = 0, j = 0; i < rank; i++) if (i != axis) order[j++] = i;
        order[rank - 1] = axis;
        return order;
    }

    public static int[] Inverse(int[] order)
    {
        var inverse = new int[order.Length];
        for (int i = 0; i < order.Length; i++) inverse[order[i]] = i;
        return inverse;
    }

    /// <summary>The dimensions of <paramref name="x"/> in the given order, as a strided view.</summary>
    public static Tensor Permuted(Tensor x, int[] order)
    {
        var shape = new int[order.Length];
        var strides = new long[order.Length];
        for (int i = 0; i < order.Length; i++)
        {
            shape[i] = x.Shape[order[i]];
            strides[i] = x.Strides[order[i]];
        }
        return x.StridedAs(shape, strides, x.Offset);
    }
}

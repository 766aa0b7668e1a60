using RawDiffusion.Backends;

namespace RawDiffusion;

/// <summary>Tensor-level wrappers around backend primitives that allocate their output and record no graph.
/// Differentiable operations call these in both their forward and their backward.</summary>
internal static class Kernels
{
    public static Tensor Copy(Tensor x)
    {
        var y = Tensor.Empty(x.Shape, x.DType, x.Backend);
        x.Backend.Unary(UnaryOp.Copy, x.View, y.View);
        return y;
    }

    /// <summary>Writes <paramref name="source"/> (broadcast to the destination's shape) into a possibly strided view.</summary>
    public static void CopyInto(Tensor source, Tensor destination)
    {
        var view = destination.View;
        var src = source.View;
        destination.Backend.Unary(UnaryOp.Copy, src.WithShape(view.Shape, ShapeMath.BroadcastStrides(src.Shape, src.Strides, view.Shape)), view);
    }

    public static Tensor Unary(UnaryOp op, Tensor x, double alpha = 0, double beta = 0)
    {
        RequireFloating(x, op.ToString());
        var y = Tensor.Empty(x.Shape, x.DType, x.Backend);
        x.Backend.Unary(op, x.View, y.View, alpha, beta);
        return y;
    }

    public static Tensor Binary(BinaryOp op, Tensor a, Tensor b, double alpha = 0, double beta = 0)
    {
        CheckPair(a, b, op.ToString());
        var shape = ShapeMath.Broadcast(a.Shape, b.Shape);
        var y = Tensor.Empty(shape, a.DType, a.Backend);
        a.Backend.Binary(op, Broadcast(a, shape), Broadcast(b, shape), y.View, alpha, beta);
        return y;
    }

    /// <summary>a = op(a, b) in place; b broadcasts to a's shape.</summary>
    public static void BinaryInPlace(BinaryOp op, Tensor a, Tensor b, double alpha = 0, double beta = 0)
    {
        CheckPair(a, b, op.ToString());
        a.Backend.Binary(op, a.View, Broadcast(b, a.ShapeArray), a.View, alpha, beta);
    }

    public static StridedView Broadcast(Tensor t, int[] shape)
    {
        var v = t.View;
        return ShapeMath.SameShape(v.Shape, shape) ? v : v.WithShape(shape, ShapeMath.BroadcastStrides(v.Shape, v.Strides, shape));
    }

    /// <summary>Reduces over <paramref name="axes"/> (all when empty), keeping them as size-1 dimensions when asked.</summary>
    public static Tensor Reduce(ReduceOp op, Tensor x, ReadOnlySpan<int> axes, bool keepDim)
    {
        RequireFloating(x, op.ToString());
        int rank = x.Rank;
        var reduce = new bool[rank];
        if (axes.IsEmpty) Array.Fill(reduce, true);
        foreach (var a in axes) reduce[ShapeMath.NormalizeAxis(a, rank, nameof(axes))] = true;

        var current = x.IsContiguous ? x : Copy(x);
        var shape = x.ShapeArray;
        // Runs of adjacent reduced axes collapse into one middle axis, so each run costs one pass.
        for (int end = rank; end > 0;)
        {
            if (!reduce[end - 1]) { end--; continue; }
            int start = end - 1;
            while (start > 0 && reduce[start - 1]) start--;
            int outer = 1, n = 1, inner = 1;
            for (int i = 0; i < start; i++) outer *= shape[i];
            for (int i = start; i < end; i++) { n *= shape[i]; shape[i] = 1; }
            for (int i = end; i < rank; i++) inner *= shape[i];
            var next = Tensor.Empty(shape, x.DType, x.Backend);
            if (n == 0) x.Backend.Fill(next.View, op == ReduceOp.Sum ? 0 : double.NaN);
            else x.Backend.Reduce(op, current.Storage.Buffer, current.Offset, next.Storage.Buffer, 0, outer, n, inner);
            if (!ReferenceEquals(current, x)) current.Dispose();
            current = next;
            end = start;
        }
        if (ReferenceEquals(current, x)) current = Copy(x);
        if (keepDim) return current;
        var kept = new List<int>();
        for (int i = 0; i < rank; i++) if (!reduce[i]) kept.Add(shape[i]);
        return current.ViewAs([.. kept]);
    }

    /// <summary>Sums a broadcast gradient back down to <paramref name="shape"/> (the shape of the operand it belongs to).</summary>
    public static Tensor SumToShape(Tensor grad, ReadOnlySpan<int> shape)
    {
        if (ShapeMath.SameShape(grad.Shape, shape)) return grad;
        int lead = grad.Rank - shape.Length;
        var axes = new List<int>();
        for (int i = 0; i < grad.Rank; i++)
            if (i < lead || (shape[i - lead] == 1 && grad.Shape[i] != 1)) axes.Add(i);
        var summed = Reduce(ReduceOp.Sum, grad, [.. axes], keepDim: true);
        return summed.ViewAs(shape.ToArray());
    }

    /// <summary>Batched product of the last two dimensions with broadcast batch dimensions:
    /// [..., m, k] x [..., k, n] (or their transposes) -> [..., m, n].</summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transA = false, bool transB = false)
    {
        CheckPair(a, b, "matmul");
        if (a.Rank < 2 || b.Rank < 2)
            throw new ArgumentException($"matmul needs tensors of rank >= 2, got {ShapeMath.Format(a.Shape)} and {ShapeMath.Format(b.Shape)}");
        int m = transA ? a.Shape[^1] : a.Shape[^2], ka = transA ? a.Shape[^2] : a.Shape[^1];
        int kb = transB ? b.Shape[^1] : b.Shape[^2], n = transB ? b.Shape[^2] : b.Shape[^1];
        if (ka != kb)
            throw new ArgumentException($"matmul inner dimensions differ: {ShapeMath.Format(a.Shape)}{(transA ? "^T" : "")} x {ShapeMath.Format(b.Shape)}{(transB ? "^T" : "")}");
        var batchShape = ShapeMath.Broadcast(a.Shape[..^2], b.Shape[..^2]);
        int batch = (int)ShapeMath.Numel(batchShape);
        var outShape = batchShape.Concat(new[] { m, n }).ToArray();
        var c = Tensor.Empty(outShape, a.DType, a.Backend);
        if (batch == 0 || m == 0 || n == 0) return c;

        // A batch of [m, k] matrices times one shared [k, n] matrix is one tall GEMM.
        if (!transA && b.Rank == 2 && a.IsContiguous)
        {
            var bc = b.IsContiguous ? b : Copy(b);
            a.Backend.Gemm(false, transB, batch * m, n, ka, 1, a.Storage.Buffer, a.Offset, ka, 0,
                bc.Storage.Buffer, bc.Offset, transB ? ka : n, 0, 0, c.Storage.Buffer, 0, n, 0, 1);
            if (!ReferenceEquals(bc, b)) bc.Dispose();
            return c;
        }
        var (abuf, aoff, astride, aTemp) = BatchOperand(a, batchShape);
        var (bbuf, boff, bstride, bTemp) = BatchOperand(b, batchShape);
        int lda = a.Shape[^1], ldb = b.Shape[^1];
        a.Backend.Gemm(transA, transB, m, n, ka, 1, abuf, aoff, lda, astride, bbuf, boff, ldb, bstride, 0, c.Storage.Buffer, 0, n, (long)m * n, batch);
        aTemp?.Dispose();
        bTemp?.Dispose();
        return c;
    }

    /// <summary>A contiguous batch of matrices with a constant batch stride (0 when the operand is shared).</summary>
    static (DeviceBuffer Buffer, long Offset, long Stride, Tensor? Temp) BatchOperand(Tensor t, int[] batchShape)
    {
        int rows = t.Shape[^2], cols = t.Shape[^1];
        long matrix = (long)rows * cols;
        if (ShapeMath.Numel(t.Shape[..^2]) == 1)
        {
            var c = t.IsContiguous ? t : Copy(t);
            return (c.Storage.Buffer, c.Offset, 0, ReferenceEquals(c, t) ? null : c);
        }
        if (ShapeMath.SameShape(t.Shape[..^2], batchShape) && t.IsContiguous)
            return (t.Storage.Buffer, t.Offset, matrix, null);
        var full = batchShape.Concat(new[] { rows, cols }).ToArray();
        var expanded = Tensor.Empty(full, t.DType, t.Backend);
        t.Backend.Unary(UnaryOp.Copy, Broadcast(t, full), expanded.View);
        return (expanded.Storage.Buffer, 0, matrix, expanded);
    }

    static void CheckPair(Tensor a, Tensor b, string op)
    {
        if (!ReferenceEquals(a.Backend, b.Backend))
            throw new ArgumentException($"{op}: operands live on different backends ({a.Backend.Name} and {b.Backend.Name}); move one with To()");
        if (a.DType != b.DType)
            throw new ArgumentException($"{op}: operands have different dtypes ({a.DType} and {b.DType})");
        RequireFloating(a, op);
    }

    public static void RequireFloating(Tensor x, string op)
    {
        if (!x.DType.IsFloating()) throw new ArgumentException($"{op} needs a floating-point tensor, got {x.DType}");
    }
}

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
            var shared = GemmOperand.Of(b, transB);
            a.Backend.Gemm(false, shared.Transposed, batch * m, n, ka, 1, a.Storage.Buffer, a.Offset, ka, 0,
                shared.Buffer, shared.Offset, shared.Ld, 0, 0, c.Storage.Buffer, 0, n, 0, 1);
            shared.Temp?.Dispose();
            return c;
        }
        var left = GemmOperand.Of(a, transA, batchShape);
        var right = GemmOperand.Of(b, transB, batchShape);
        a.Backend.Gemm(left.Transposed, right.Transposed, m, n, ka, 1, left.Buffer, left.Offset, left.Ld, left.Stride,
            right.Buffer, right.Offset, right.Ld, right.Stride, 0, c.Storage.Buffer, 0, n, (long)m * n, batch);
        left.Temp?.Dispose();
        right.Temp?.Dispose();
        return c;
    }

    /// <summary>A matmul operand as the GEMM reads it: a batch of row-major matrices with leading dimension
    /// <see cref="Ld"/> and a constant batch <see cref="Stride"/> (0 when one matrix is shared), read transposed when
    /// <see cref="Transposed"/>. A transposed view of contiguous matrices (x.Transpose(-2, -1), a Linear weight read
    /// as Wᵀ, attention's kᵀ) is passed as its storage with the transpose flag flipped instead of being copied;
    /// any other layout is copied into <see cref="Temp"/>, which the caller disposes after the product.</summary>
    readonly record struct GemmOperand(DeviceBuffer Buffer, long Offset, int Ld, long Stride, bool Transposed, Tensor? Temp)
    {
        /// <param name="trans">Whether the product reads <paramref name="t"/>'s last two dimensions transposed.</param>
        /// <param name="batchShape">The product's batch shape, or null for a single shared matrix.</param>
        public static GemmOperand Of(Tensor t, bool trans, int[]? batchShape = null)
        {
            int rows = t.Shape[^2], cols = t.Shape[^1];
            long matrix = (long)rows * cols;
            var batch = t.Shape[..^2];
            bool shared = ShapeMath.Numel(batch) == 1;
            if (shared || ShapeMath.SameShape(batch, batchShape))
            {
                long stride = shared ? 0 : matrix;
                if (t.IsContiguous) return new(t.Storage.Buffer, t.Offset, cols, stride, trans, null);
                if (IsTransposedContiguous(t)) return new(t.Storage.Buffer, t.Offset, rows, stride, !trans, null);
            }
            Tensor copy;
            if (shared) copy = Copy(t);
            else
            {
                copy = Tensor.Empty([.. batchShape!, rows, cols], t.DType, t.Backend);
                t.Backend.Unary(UnaryOp.Copy, Broadcast(t, copy.ShapeArray), copy.View);
            }
            return new(copy.Storage.Buffer, copy.Offset, cols, shared ? 0 : matrix, trans, copy);
        }

        /// <summary>True when <paramref name="t"/> is laid out like a contiguous tensor with its last two dimensions
        /// swapped: each matrix is stored column by column, and the matrices follow one another.</summary>
        static bool IsTransposedContiguous(Tensor t)
        {
            int rank = t.Rank;
            var shape = t.Shape;
            var strides = t.Strides;
            if ((shape[^2] != 1 && strides[^2] != 1) || (shape[^1] != 1 && strides[^1] != shape[^2])) return false;
            long expected = (long)shape[^2] * shape[^1];
            for (int i = rank - 3; i >= 0; i--)
            {
                if (shape[i] != 1 && strides[i] != expected) return false;
                expected *= shape[i];
            }
            return true;
        }
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

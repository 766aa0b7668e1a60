namespace RawDiffusion.Ops;

/// <summary>Softmax or log-softmax along one axis by the backend's row primitive. Another axis than the last is
/// moved to the end (one copy), and the result is handed back as a permuted view of the row-major output; the
/// backward uses the saved output only: dx = y ⊙ (g − Σ g·y), or g − exp(y)·Σ g for log-softmax.</summary>
internal sealed class SoftmaxFunction : Function
{
    Tensor output = null!;
    int[]? order;
    bool log;

    public override string Name => log ? "LogSoftmaxFunction" : "SoftmaxFunction";

    public static Tensor Apply(Tensor x, int axis, bool log)
    {
        string op = log ? "log_softmax" : "softmax";
        Kernels.RequireFloating(x, op);
        if (x.Rank == 0) throw new ArgumentException($"{op} needs a tensor of rank >= 1, got a scalar", nameof(x));
        int a = ShapeMath.NormalizeAxis(axis, x.Rank, nameof(axis));
        var order = a == x.Rank - 1 ? null : AxisRows.MoveToEnd(x.Rank, a);
        var rows = order == null ? AxisRows.Dense(x) : Kernels.Copy(AxisRows.Permuted(x, order));
        int n = x.Shape[a];
        var y = Tensor.Empty(rows.Shape, x.DType, x.Backend);
        if (y.Numel > 0)
            x.Backend.SoftmaxRows(rows.Storage.Buffer, rows.Offset, y.Storage.Buffer, 0, (int)(y.Numel / n), n, log);
        if (!ReferenceEquals(rows, x)) rows.Dispose();
        var result = order == null ? y : AxisRows.Permuted(y, AxisRows.Inverse(order));
        return new SoftmaxFunction { output = y, order = order, log = log }.Connect(result, x);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var rows = order == null ? AxisRows.Dense(g) : Kernels.Copy(AxisRows.Permuted(g, order));
        // The incoming gradient may be shared with other inputs' gradients: write into our own copy only.
        var dx = ReferenceEquals(rows, g) ? Tensor.Empty(output.Shape, output.DType, output.Backend) : rows;
        int n = output.Shape[^1];
        if (dx.Numel > 0)
            output.Backend.SoftmaxBackwardRows(output.Storage.Buffer, output.Offset, rows.Storage.Buffer, rows.Offset,
                dx.Storage.Buffer, dx.Offset, (int)(dx.Numel / n), n, log);
        return [order == null ? dx : AxisRows.Permuted(dx, AxisRows.Inverse(order))];
    }
}

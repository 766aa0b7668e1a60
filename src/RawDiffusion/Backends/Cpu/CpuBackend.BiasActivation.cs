namespace RawDiffusion.Backends.Cpu;

internal sealed partial class CpuBackend
{
    /// <summary>The composition the fused kernel replaces, bit for bit: the broadcast add, a copy of the sum when asked
    /// for, then the activation's own map in place.</summary>
    public void BiasActivation(StridedView y, StridedView bias, int rows, int n, UnaryOp activation, double alpha, StridedView? preActivation)
    {
        if (!y.IsContiguous || y.Numel != (long)rows * n || !bias.IsContiguous || bias.Numel != n)
            throw new ArgumentException($"BiasActivation needs a contiguous [{rows}, {n}] block and a contiguous [{n}] bias, got {ShapeMath.Format(y.Shape)} and {ShapeMath.Format(bias.Shape)}");
        var rowsView = StridedView.Contiguous(y.Buffer, y.Offset, [rows, n]);
        Binary(BinaryOp.Add, rowsView, new StridedView(bias.Buffer, bias.Offset, [rows, n], [0, 1]), rowsView);
        if (preActivation is { } pre) Unary(UnaryOp.Copy, rowsView, StridedView.Contiguous(pre.Buffer, pre.Offset, [rows, n]));
        Unary(activation, rowsView, rowsView, alpha);
    }
}

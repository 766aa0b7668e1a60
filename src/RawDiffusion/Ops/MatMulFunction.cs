namespace RawDiffusion.Ops;

/// <summary>Matrix product of the last two dimensions with broadcast batch dimensions.
/// dA = dC · Bᵀ and dB = Aᵀ · dC, summed over any batch dimensions the operand was broadcast across.</summary>
internal sealed class MatMulFunction : Function
{
    Tensor a = null!, b = null!;

    public static Tensor Apply(Tensor a, Tensor b) => new MatMulFunction { a = a, b = b }.Connect(Kernels.MatMul(a, b), a, b);

    protected internal override Tensor?[] Backward(Tensor g)
    {
        Tensor? ga = null, gb = null;
        if (NeedsGrad(0)) ga = Kernels.SumToShape(Kernels.MatMul(g, b, transB: true), a.Shape);
        if (NeedsGrad(1))
        {
            // With a shared right operand, fold the batch into the rows: one GEMM instead of a batch and a sum.
            if (b.Rank == 2 && a.Rank > 2)
            {
                var a2 = (a.IsContiguous ? a : Kernels.Copy(a)).ViewAs([(int)(a.Numel / a.Shape[^1]), a.Shape[^1]]);
                var g2 = (g.IsContiguous ? g : Kernels.Copy(g)).ViewAs([(int)(g.Numel / g.Shape[^1]), g.Shape[^1]]);
                gb = Kernels.MatMul(a2, g2, transA: true);
            }
            else gb = Kernels.SumToShape(Kernels.MatMul(a, g, transA: true), b.Shape);
        }
        return [ga, gb];
    }
}

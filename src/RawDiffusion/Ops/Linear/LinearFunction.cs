using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>y = x·Wᵀ + b with every leading dimension of x folded into the rows of one GEMM (W read transposed in
/// place, never copied). Backward: dx = g·W, dW = gᵀ·x as one GEMM over all rows, db = Σ_rows g.</summary>
internal sealed class LinearFunction : Function
{
    Tensor rowsX = null!, weight = null!;
    int[] xShape = [];
    bool hasBias;

    public static Tensor Apply(Tensor x, Tensor weight, Tensor? bias)
    {
        if (weight.Rank != 2)
            throw new ArgumentException($"linear: weight must be [out, in], got {ShapeMath.Format(weight.Shape)}", nameof(weight));
        int outFeatures = weight.Shape[0], inFeatures = weight.Shape[1];
        if (x.Rank == 0 || x.Shape[^1] != inFeatures)
            throw new ArgumentException($"linear: input {ShapeMath.Format(x.Shape)} does not end in the weight's {inFeatures} input features (weight {ShapeMath.Format(weight.Shape)})", nameof(x));
        if (bias != null && (bias.Rank != 1 || bias.Shape[0] != outFeatures))
            throw new ArgumentException($"linear: bias must be [{outFeatures}] for weight {ShapeMath.Format(weight.Shape)}, got {ShapeMath.Format(bias.Shape)}", nameof(bias));

        int rows = inFeatures == 0 ? (int)ShapeMath.Numel(x.Shape[..^1]) : (int)(x.Numel / inFeatures);
        var rowsX = AxisRows.Dense(x).ViewAs([rows, inFeatures]);
        var y = Kernels.MatMul(rowsX, weight, transB: true);
        if (bias != null) Kernels.BinaryInPlace(BinaryOp.Add, y, bias);
        var outShape = x.ShapeArray;
        outShape[^1] = outFeatures;
        var fn = new LinearFunction { rowsX = rowsX, weight = weight, xShape = x.ShapeArray, hasBias = bias != null };
        return bias == null ? fn.Connect(y.ViewAs(outShape), x, weight) : fn.Connect(y.ViewAs(outShape), x, weight, bias);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var rowsG = AxisRows.Dense(g).ViewAs([rowsX.Shape[0], weight.Shape[0]]);
        Tensor? dx = NeedsGrad(0) ? Kernels.MatMul(rowsG, weight).ViewAs(xShape) : null;
        Tensor? dw = NeedsGrad(1) ? Kernels.MatMul(rowsG, rowsX, transA: true) : null;
        if (!hasBias) return [dx, dw];
        Tensor? db = NeedsGrad(2) ? Kernels.Reduce(ReduceOp.Sum, rowsG, [0], keepDim: false) : null;
        return [dx, dw, db];
    }
}

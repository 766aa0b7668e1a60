using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>y = x·Wᵀ + b with every leading dimension of x folded into the rows of one GEMM (W read transposed in
/// place, never copied). Backward: dx = g·W, dW = gᵀ·x as one GEMM over all rows, db = Σ_rows g. With a fused
/// activation (ReLU, leaky ReLU, SiLU, GELU) the bias and the activation are one backend pass
/// (<see cref="IBackend.BiasActivation"/>), and the backward first turns g into the pre-activation's gradient with the
/// activation's own backward kernel, exactly as the separate activation op would.</summary>
internal sealed class LinearFunction : Function
{
    Tensor rowsX = null!, weight = null!;
    Tensor? preActivation;
    BinaryOp activationBackward;
    double alpha;
    int[] xShape = [];
    bool hasBias;

    /// <summary>The backward kernel of each activation that can be fused, all computed from the activation's input.</summary>
    static BinaryOp BackwardOf(UnaryOp activation) => activation switch
    {
        UnaryOp.Relu => BinaryOp.ReluBackward,
        UnaryOp.LeakyRelu => BinaryOp.LeakyReluBackward,
        UnaryOp.Silu => BinaryOp.SiluBackward,
        UnaryOp.Gelu => BinaryOp.GeluBackward,
        _ => throw new ArgumentException($"linear: a fused activation must be Relu, LeakyRelu, Silu or Gelu, not {activation}", nameof(activation)),
    };

    public static Tensor Apply(Tensor x, Tensor weight, Tensor? bias, UnaryOp? activation = null, double alpha = 0)
    {
        if (activation is { } fused && bias == null) return ActivationFunction.Apply(Apply(x, weight, null), fused, BackwardOf(fused), backwardFromOutput: false, alpha);
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
        Tensor? pre = null;
        var backward = activation is { } act ? BackwardOf(act) : default;
        if (activation is { } op)
        {
            bool recording = GradMode.IsEnabled && (x.RequiresGrad || weight.RequiresGrad || bias!.RequiresGrad);
            if (recording) pre = Tensor.Empty(y.Shape, y.DType, y.Backend);
            var biasView = AxisRows.Dense(bias!);
            y.Backend.BiasActivation(y.View, biasView.View, rows, outFeatures, op, alpha, pre?.View);
        }
        else if (bias != null) Kernels.BinaryInPlace(BinaryOp.Add, y, bias);
        var outShape = x.ShapeArray;
        outShape[^1] = outFeatures;
        var fn = new LinearFunction
        {
            rowsX = rowsX, weight = weight, xShape = x.ShapeArray, hasBias = bias != null,
            preActivation = pre, activationBackward = backward, alpha = alpha,
        };
        return bias == null ? fn.Connect(y.ViewAs(outShape), x, weight) : fn.Connect(y.ViewAs(outShape), x, weight, bias);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        // The saved pre-activation is [rows, out]; g has the output's leading dimensions.
        if (preActivation != null) g = Kernels.Binary(activationBackward, preActivation, AxisRows.Dense(g).ViewAs(preActivation.ShapeArray), alpha);
        var rowsG = AxisRows.Dense(g).ViewAs([rowsX.Shape[0], weight.Shape[0]]);
        Tensor? dx = NeedsGrad(0) ? Kernels.MatMul(rowsG, weight).ViewAs(xShape) : null;
        Tensor? dw = NeedsGrad(1) ? Kernels.MatMul(rowsG, rowsX, transA: true) : null;
        if (!hasBias) return [dx, dw];
        Tensor? db = NeedsGrad(2) ? Kernels.Reduce(ReduceOp.Sum, rowsG, [0], keepDim: false) : null;
        return [dx, dw, db];
    }
}

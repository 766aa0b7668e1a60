using RawDiffusion.Backends;
using static RawDiffusion.Ops.GradientMath;

namespace RawDiffusion.Ops;

/// <summary>|x|; gradient g·sign(x), 0 at x = 0 (as PyTorch).</summary>
internal sealed class AbsFunction : Function
{
    Tensor x = null!;

    public static Tensor Apply(Tensor x) => new AbsFunction { x = x }.Connect(Kernels.Unary(UnaryOp.Abs, x), x);

    protected internal override Tensor?[] Backward(Tensor g) => [Combine(BinaryOp.Mul, Kernels.Unary(UnaryOp.Sign, x), g)];
}

/// <summary>min(max(x, low), high); the gradient passes where low ≤ x ≤ high (bounds included, as PyTorch).
/// A missing bound is an infinite one.</summary>
internal sealed class ClampFunction : Function
{
    Tensor x = null!;
    double low, high;

    public static Tensor Apply(Tensor x, double low, double high) =>
        new ClampFunction { x = x, low = low, high = high }.Connect(Kernels.Unary(UnaryOp.Clamp, x, low, high), x);

    protected internal override Tensor?[] Backward(Tensor g) => [Kernels.Binary(BinaryOp.ClampBackward, x, g, low, high)];
}

/// <summary>Elementwise maximum or minimum of two broadcast tensors. The gradient goes to the selected operand;
/// where they are equal each gets half, so the two halves still sum to g.</summary>
internal sealed class ExtremumFunction : Function
{
    Tensor a = null!, b = null!;
    bool maximum;

    public static Tensor Apply(Tensor a, Tensor b, bool maximum) =>
        new ExtremumFunction { a = a, b = b, maximum = maximum }.Connect(Kernels.Binary(maximum ? BinaryOp.Maximum : BinaryOp.Minimum, a, b), a, b);

    public override string Name => maximum ? "MaximumFunction" : "MinimumFunction";

    protected internal override Tensor?[] Backward(Tensor g)
    {
        // Share of a: 1 where a wins, 1/2 on ties, 0 where b wins; b gets g minus a's part.
        var share = maximum ? Kernels.Binary(BinaryOp.Greater, a, b) : Kernels.Binary(BinaryOp.Greater, b, a);
        var ties = Scale(Kernels.Binary(BinaryOp.Equal, a, b), 0.5);
        Combine(BinaryOp.Add, share, ties);
        ties.Dispose();
        var toA = Combine(BinaryOp.Mul, share, g);
        Tensor? gb = NeedsGrad(1) ? ReduceTo(Kernels.Binary(BinaryOp.Sub, g, toA), b.Shape) : null;
        Tensor? ga = NeedsGrad(0) ? ReduceTo(toA, a.Shape) : null;
        if (ga == null) toA.Dispose();
        return [ga, gb];
    }
}

using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>Broadcasting a + b; each gradient is summed back to its operand's shape.</summary>
internal sealed class AddFunction : Function
{
    int[] aShape = [], bShape = [];

    public static Tensor Apply(Tensor a, Tensor b) =>
        new AddFunction { aShape = a.ShapeArray, bShape = b.ShapeArray }.Connect(Kernels.Binary(BinaryOp.Add, a, b), a, b);

    protected internal override Tensor?[] Backward(Tensor g) =>
        [NeedsGrad(0) ? Kernels.SumToShape(g, aShape) : null, NeedsGrad(1) ? Kernels.SumToShape(g, bShape) : null];
}

internal sealed class SubFunction : Function
{
    int[] aShape = [], bShape = [];

    public static Tensor Apply(Tensor a, Tensor b) =>
        new SubFunction { aShape = a.ShapeArray, bShape = b.ShapeArray }.Connect(Kernels.Binary(BinaryOp.Sub, a, b), a, b);

    protected internal override Tensor?[] Backward(Tensor g) =>
        [NeedsGrad(0) ? Kernels.SumToShape(g, aShape) : null,
         NeedsGrad(1) ? Kernels.SumToShape(Kernels.Unary(UnaryOp.Neg, g), bShape) : null];
}

internal sealed class MulFunction : Function
{
    Tensor a = null!, b = null!;

    public static Tensor Apply(Tensor a, Tensor b) =>
        new MulFunction { a = a, b = b }.Connect(Kernels.Binary(BinaryOp.Mul, a, b), a, b);

    protected internal override Tensor?[] Backward(Tensor g) =>
        [NeedsGrad(0) ? Kernels.SumToShape(Kernels.Binary(BinaryOp.Mul, g, b), a.Shape) : null,
         NeedsGrad(1) ? Kernels.SumToShape(Kernels.Binary(BinaryOp.Mul, g, a), b.Shape) : null];
}

internal sealed class DivFunction : Function
{
    Tensor a = null!, b = null!;

    public static Tensor Apply(Tensor a, Tensor b) =>
        new DivFunction { a = a, b = b }.Connect(Kernels.Binary(BinaryOp.Div, a, b), a, b);

    protected internal override Tensor?[] Backward(Tensor g)
    {
        Tensor? ga = null, gb = null;
        if (NeedsGrad(0)) ga = Kernels.SumToShape(Kernels.Binary(BinaryOp.Div, g, b), a.Shape);
        if (NeedsGrad(1))
        {
            // d(a/b)/db = -a / b^2
            var q = Kernels.Binary(BinaryOp.Div, Kernels.Binary(BinaryOp.Mul, g, a), Kernels.Unary(UnaryOp.Square, b));
            gb = Kernels.SumToShape(Kernels.Unary(UnaryOp.Neg, q), b.Shape);
        }
        return [ga, gb];
    }
}

/// <summary>Maps with a constant: x + c, c * x, -x. Kept separate from broadcasting ops so scalars need no tensor.</summary>
internal sealed class AffineScalarFunction : Function
{
    double scale;

    public static Tensor Apply(Tensor x, double scale, double shift)
    {
        var y = scale == 1 ? Kernels.Unary(UnaryOp.AddScalar, x, shift)
            : shift == 0 ? Kernels.Unary(UnaryOp.MulScalar, x, scale)
            : AddShift(Kernels.Unary(UnaryOp.MulScalar, x, scale), shift);
        return new AffineScalarFunction { scale = scale }.Connect(y, x);
    }

    static Tensor AddShift(Tensor y, double shift)
    {
        y.Backend.Unary(UnaryOp.AddScalar, y.View, y.View, shift);
        return y;
    }

    protected internal override Tensor?[] Backward(Tensor g) => [scale == 1 ? g : Kernels.Unary(UnaryOp.MulScalar, g, scale)];
}

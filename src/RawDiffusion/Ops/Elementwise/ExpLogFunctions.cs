using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>e^x; the gradient g·e^x reuses the output.</summary>
internal sealed class ExpFunction : Function
{
    Tensor y = null!;

    public static Tensor Apply(Tensor x)
    {
        var y = Kernels.Unary(UnaryOp.Exp, x);
        return new ExpFunction { y = y }.Connect(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor g) => [Kernels.Binary(BinaryOp.Mul, g, y)];
}

/// <summary>Natural logarithm; gradient g/x.</summary>
internal sealed class LogFunction : Function
{
    Tensor x = null!;

    public static Tensor Apply(Tensor x) => new LogFunction { x = x }.Connect(Kernels.Unary(UnaryOp.Log, x), x);

    protected internal override Tensor?[] Backward(Tensor g) => [Kernels.Binary(BinaryOp.Div, g, x)];
}

using RawDiffusion.Backends;
using static RawDiffusion.Ops.GradientMath;

namespace RawDiffusion.Ops;

/// <summary>√x; gradient g/(2√x) from the saved output.</summary>
internal sealed class SqrtFunction : Function
{
    Tensor y = null!;

    public static Tensor Apply(Tensor x)
    {
        var y = Kernels.Unary(UnaryOp.Sqrt, x);
        return new SqrtFunction { y = y }.Connect(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor g) => [Scale(Kernels.Binary(BinaryOp.Div, g, y), 0.5)];
}

/// <summary>1/√x; gradient −g·y³/2 from the saved output y.</summary>
internal sealed class RsqrtFunction : Function
{
    Tensor y = null!;

    public static Tensor Apply(Tensor x)
    {
        var y = Kernels.Unary(UnaryOp.Rsqrt, x);
        return new RsqrtFunction { y = y }.Connect(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var t = Kernels.Binary(BinaryOp.Mul, g, y);
        Combine(BinaryOp.Mul, t, y);
        return [Scale(Combine(BinaryOp.Mul, t, y), -0.5)];
    }
}

/// <summary>x²; gradient 2·x·g.</summary>
internal sealed class SquareFunction : Function
{
    Tensor x = null!;

    public static Tensor Apply(Tensor x) => new SquareFunction { x = x }.Connect(Kernels.Unary(UnaryOp.Square, x), x);

    protected internal override Tensor?[] Backward(Tensor g) => [Scale(Kernels.Binary(BinaryOp.Mul, g, x), 2)];
}

/// <summary>1/x; gradient −g·y² from the saved output y.</summary>
internal sealed class ReciprocalFunction : Function
{
    Tensor y = null!;

    public static Tensor Apply(Tensor x)
    {
        var y = Kernels.Unary(UnaryOp.Reciprocal, x);
        return new ReciprocalFunction { y = y }.Connect(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor g) => [Scale(Combine(BinaryOp.Mul, Kernels.Binary(BinaryOp.Mul, g, y), y), -1)];
}

/// <summary>x^p for a constant p; gradient g·p·x^(p−1) (0 for p = 0, as PyTorch). p = 2 takes the Square kernel.</summary>
internal sealed class PowScalarFunction : Function
{
    Tensor x = null!;
    double exponent;

    public static Tensor Apply(Tensor x, double exponent)
    {
        var y = exponent == 2 ? Kernels.Unary(UnaryOp.Square, x) : Kernels.Unary(UnaryOp.PowScalar, x, exponent);
        return new PowScalarFunction { x = x, exponent = exponent }.Connect(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        if (exponent == 0) return [Tensor.Zeros(x.Shape, x.DType, x.Backend)];
        if (exponent == 1) return [g];
        var t = exponent == 2 ? Kernels.Binary(BinaryOp.Mul, g, x) : Combine(BinaryOp.Mul, Kernels.Unary(UnaryOp.PowScalar, x, exponent - 1), g);
        return [Scale(t, exponent)];
    }
}

/// <summary>a^b with broadcasting. ∂/∂a = b·a^(b−1), ∂/∂b = a^b·ln a, which needs a &gt; 0 wherever b is
/// differentiated (elsewhere it is NaN, since the real power is undefined around those points).</summary>
internal sealed class PowFunction : Function
{
    Tensor a = null!, b = null!, y = null!;

    public static Tensor Apply(Tensor a, Tensor b)
    {
        var y = Kernels.Binary(BinaryOp.Pow, a, b);
        return new PowFunction { a = a, b = b, y = y }.Connect(y, a, b);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        Tensor? ga = null, gb = null;
        if (NeedsGrad(0))
        {
            var bMinusOne = Kernels.Unary(UnaryOp.AddScalar, b, -1);
            var t = Kernels.Binary(BinaryOp.Pow, a, bMinusOne);
            bMinusOne.Dispose();
            Combine(BinaryOp.Mul, t, b);
            ga = ReduceTo(Combine(BinaryOp.Mul, t, g), a.Shape);
        }
        if (NeedsGrad(1))
        {
            var logA = Kernels.Unary(UnaryOp.Log, a);
            var t = Kernels.Binary(BinaryOp.Mul, y, logA);
            logA.Dispose();
            gb = ReduceTo(Combine(BinaryOp.Mul, t, g), b.Shape);
        }
        return [ga, gb];
    }
}

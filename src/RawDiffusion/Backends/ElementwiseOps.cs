namespace RawDiffusion.Backends;

/// <summary>Elementwise maps y = f(x; alpha, beta). Backends implement each one; most autograd
/// ops are built from these, <see cref="BinaryOp"/>, reductions and GEMM.</summary>
public enum UnaryOp
{
    Copy, Neg, AddScalar, MulScalar, PowScalar, Reciprocal,
    Exp, Log, Sqrt, Rsqrt, Abs, Sign, Square,
    Relu, LeakyRelu, Sigmoid, Tanh, Silu, Gelu,
    /// <summary>min(max(x, alpha), beta).</summary>
    Clamp,
}

/// <summary>Elementwise z = f(a, b; alpha, beta). The *Backward members compute the gradient of an
/// activation from its saved input (or output) <c>a</c> and the incoming gradient <c>b</c> in one pass.</summary>
public enum BinaryOp
{
    Add, Sub, Mul, Div, Pow, Maximum, Minimum,
    /// <summary>1 where a == b, else 0.</summary>
    Equal,
    /// <summary>1 where a &gt; b, else 0.</summary>
    Greater,
    ReluBackward, LeakyReluBackward, SigmoidBackward, TanhBackward, SiluBackward, GeluBackward,
    /// <summary>b where alpha &lt;= a &lt;= beta, else 0.</summary>
    ClampBackward,
}

public enum ReduceOp { Sum, Max, Min }

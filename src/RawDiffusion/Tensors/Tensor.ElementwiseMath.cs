using RawDiffusion.Ops;

namespace RawDiffusion;

/// <summary>Elementwise math. Each op is differentiable; gradients follow PyTorch's conventions at kinks
/// (|x| and sign have slope 0 at 0, clamp passes the gradient on its bounds, ties of maximum/minimum split it).</summary>
public sealed partial class Tensor
{
    /// <summary>e^x.</summary>
    public Tensor Exp() => ExpFunction.Apply(this);

    /// <summary>Natural logarithm (NaN below 0, −∞ at 0).</summary>
    public Tensor Log() => LogFunction.Apply(this);

    public Tensor Sqrt() => SqrtFunction.Apply(this);

    /// <summary>1/√x, in one pass (normalisation layers use it on variances).</summary>
    public Tensor Rsqrt() => RsqrtFunction.Apply(this);

    /// <summary>x^exponent for a constant exponent.</summary>
    public Tensor Pow(double exponent) => PowScalarFunction.Apply(this, exponent);

    /// <summary>this^exponent elementwise with broadcasting. Both operands get gradients; the exponent's,
    /// x^e·ln x, needs a positive base (NaN elsewhere).</summary>
    public Tensor Pow(Tensor exponent) => PowFunction.Apply(this, exponent);

    public Tensor Abs() => AbsFunction.Apply(this);

    /// <summary>min(max(x, min), max); a null bound is not applied. As in PyTorch, min &gt; max gives max everywhere,
    /// and the gradient passes where min ≤ x ≤ max.</summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        if (min == null && max == null) throw new ArgumentException("Clamp needs at least one of min and max");
        return ClampFunction.Apply(this, min ?? double.NegativeInfinity, max ?? double.PositiveInfinity);
    }

    public Tensor Square() => SquareFunction.Apply(this);

    /// <summary>−x.</summary>
    public Tensor Neg() => -this;

    /// <summary>1/x.</summary>
    public Tensor Reciprocal() => ReciprocalFunction.Apply(this);

    /// <summary>Elementwise maximum with broadcasting (NaN if either is NaN). Where the operands are equal each
    /// receives half the gradient.</summary>
    public Tensor Maximum(Tensor other) => ExtremumFunction.Apply(this, other, maximum: true);

    /// <summary>Elementwise minimum with broadcasting (NaN if either is NaN); ties split the gradient.</summary>
    public Tensor Minimum(Tensor other) => ExtremumFunction.Apply(this, other, maximum: false);
}

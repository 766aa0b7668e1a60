using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>Small steps the elementwise backward passes share. They act on temporaries the caller just created,
/// so updating in place saves an allocation and a pass.</summary>
internal static class GradientMath
{
    /// <summary>t *= factor in place; returns t.</summary>
    public static Tensor Scale(Tensor t, double factor)
    {
        if (factor != 1) t.Backend.Unary(UnaryOp.MulScalar, t.View, t.View, factor);
        return t;
    }

    /// <summary>t = op(t, other) in place (other broadcasts to t); returns t.</summary>
    public static Tensor Combine(BinaryOp op, Tensor t, Tensor other)
    {
        Kernels.BinaryInPlace(op, t, other);
        return t;
    }

    /// <summary>Sums a broadcast gradient down to an operand's shape, disposing the full-size temporary when a
    /// smaller one replaces it.</summary>
    public static Tensor ReduceTo(Tensor grad, ReadOnlySpan<int> shape)
    {
        var reduced = Kernels.SumToShape(grad, shape);
        if (!ReferenceEquals(reduced, grad)) grad.Dispose();
        return reduced;
    }
}

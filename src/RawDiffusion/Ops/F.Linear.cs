using RawDiffusion.Backends;
using RawDiffusion.Ops;

namespace RawDiffusion;

public static partial class F
{
    /// <summary>Affine map of the last dimension, y = x·Wᵀ + b, as torch.nn.functional.linear:
    /// <paramref name="x"/> [..., in], <paramref name="weight"/> [out, in], <paramref name="bias"/> [out] or null → [..., out].
    /// All leading dimensions run as one matrix product.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null) => LinearFunction.Apply(x, weight, bias);

    /// <summary>activation(F.Linear(x, weight, bias)) with the bias and the activation in one pass (one kernel on a GPU
    /// instead of two); the same values and gradients as the composition. <paramref name="activation"/> is
    /// <see cref="UnaryOp.Relu"/>, <see cref="UnaryOp.LeakyRelu"/> (slope <paramref name="alpha"/>), <see cref="UnaryOp.Silu"/>
    /// or <see cref="UnaryOp.Gelu"/>.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias, UnaryOp activation, double alpha = 0) =>
        LinearFunction.Apply(x, weight, bias, activation, alpha);
}

using RawDiffusion.Ops;

namespace RawDiffusion;

public static partial class F
{
    /// <summary>Affine map of the last dimension, y = x·Wᵀ + b, as torch.nn.functional.linear:
    /// <paramref name="x"/> [..., in], <paramref name="weight"/> [out, in], <paramref name="bias"/> [out] or null → [..., out].
    /// All leading dimensions run as one matrix product.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null) => LinearFunction.Apply(x, weight, bias);
}

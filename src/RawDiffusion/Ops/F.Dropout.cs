using RawDiffusion.Backends;

namespace RawDiffusion;

public static partial class F
{
    /// <summary>Inverted dropout, as torch.nn.functional.dropout: in training each element of <paramref name="x"/> is
    /// zeroed with probability <paramref name="p"/> and the survivors are scaled by 1 / (1 − p), so the expected value
    /// is unchanged and inference needs no rescaling. The mask comes from <see cref="Tensor.Rand"/> with
    /// <paramref name="generator"/> (the default generator when null): the same seed gives the same mask.
    /// Returns <paramref name="x"/> itself when not training or when p = 0.</summary>
    public static Tensor Dropout(Tensor x, double p, bool training, Generator? generator = null)
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout: p must lie in [0, 1)");
        if (!training || p == 0) return x;
        Kernels.RequireFloating(x, "dropout");
        // Keep where u < 1 − p, which for u uniform on [0, 1) has probability exactly 1 − p.
        var u = Tensor.Rand(x.Shape, generator, dtype: x.DType, backend: x.Backend);
        var keep = Tensor.Scalar(1 - p, x.DType, x.Backend);
        var mask = Kernels.Binary(BinaryOp.Greater, keep, u);
        u.Dispose();
        keep.Dispose();
        mask.Backend.Unary(UnaryOp.MulScalar, mask.View, mask.View, 1 / (1 - p));
        return x * mask;
    }
}

namespace RawDiffusion.Backends;

public partial interface IBackend
{
    /// <summary>y = activation(y + bias) in place over the rows of a contiguous [rows, n] block, bias a contiguous [n]:
    /// a linear layer's bias and activation in one pass (one kernel on a GPU instead of two). With
    /// <paramref name="preActivation"/> ([rows, n], contiguous) given, y + bias is written there too, for the
    /// activation's backward. <paramref name="activation"/> is a <see cref="UnaryOp"/> with at most the one
    /// parameter <paramref name="alpha"/> (ReLU, leaky ReLU, SiLU, GELU, sigmoid, tanh, ...).</summary>
    void BiasActivation(StridedView y, StridedView bias, int rows, int n, UnaryOp activation, double alpha, StridedView? preActivation);
}

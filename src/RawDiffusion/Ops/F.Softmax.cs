using RawDiffusion.Ops;

namespace RawDiffusion;

/// <summary>Neural-network functions in the style of torch.nn.functional: each takes tensors and returns a tensor
/// that records its gradient. Partial: each family of functions lives in its own F.*.cs file.</summary>
public static partial class F
{
    /// <summary>softmax(x)ᵢ = exp(xᵢ) / Σⱼ exp(xⱼ) along <paramref name="axis"/> (the last by default). Computed as
    /// exp(x − max) so logits in the thousands do not overflow; along another axis than the last the result is a
    /// permuted view.</summary>
    public static Tensor Softmax(Tensor x, int axis = -1) => SoftmaxFunction.Apply(x, axis, log: false);

    /// <summary>log softmax(x)ᵢ = xᵢ − max − log Σⱼ exp(xⱼ − max) along <paramref name="axis"/>: the stable way to get
    /// log-probabilities (log of <see cref="Softmax"/> underflows to −∞ for very unlikely classes).</summary>
    public static Tensor LogSoftmax(Tensor x, int axis = -1) => SoftmaxFunction.Apply(x, axis, log: true);
}

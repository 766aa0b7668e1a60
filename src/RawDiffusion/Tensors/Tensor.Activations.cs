using RawDiffusion.Ops;

namespace RawDiffusion;

/// <summary>Pointwise activations as tensor methods (the same ops as <see cref="F"/>.Relu and friends).</summary>
public sealed partial class Tensor
{
    /// <summary>max(x, 0).</summary>
    public Tensor Relu() => ActivationFunction.Relu(this);

    /// <summary>x for x &gt; 0, slope·x otherwise.</summary>
    public Tensor LeakyRelu(double slope = 0.01) => ActivationFunction.LeakyRelu(this, slope);

    /// <summary>1 / (1 + e^−x).</summary>
    public Tensor Sigmoid() => ActivationFunction.Sigmoid(this);

    public Tensor Tanh() => ActivationFunction.Tanh(this);

    /// <summary>x·σ(x) (also called swish), the activation of the VAE and UNet blocks.</summary>
    public Tensor Silu() => ActivationFunction.Silu(this);

    /// <summary>x·Φ(x) with the exact normal CDF (PyTorch's default, not the tanh approximation).</summary>
    public Tensor Gelu() => ActivationFunction.Gelu(this);
}

using RawDiffusion.Ops;

namespace RawDiffusion;

/// <summary>Functional neural-network operations, named as in torch.nn.functional.</summary>
public static partial class F
{
    /// <summary>max(x, 0).</summary>
    public static Tensor Relu(Tensor x) => ActivationFunction.Relu(x);

    /// <summary>x for x &gt; 0, slope·x otherwise.</summary>
    public static Tensor LeakyRelu(Tensor x, double slope = 0.01) => ActivationFunction.LeakyRelu(x, slope);

    /// <summary>1 / (1 + e^−x).</summary>
    public static Tensor Sigmoid(Tensor x) => ActivationFunction.Sigmoid(x);

    public static Tensor Tanh(Tensor x) => ActivationFunction.Tanh(x);

    /// <summary>x·σ(x) (swish).</summary>
    public static Tensor Silu(Tensor x) => ActivationFunction.Silu(x);

    /// <summary>x·Φ(x) with the exact normal CDF (erf form), as PyTorch's default GELU.</summary>
    public static Tensor Gelu(Tensor x) => ActivationFunction.Gelu(x);
}

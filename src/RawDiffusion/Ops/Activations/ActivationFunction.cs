using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>A pointwise activation whose gradient is one fused backend pass, g·f'(x), computed by the matching
/// *Backward kernel from the saved input (ReLU, leaky ReLU, SiLU, GELU) or output (sigmoid, tanh, whose
/// derivatives are cheapest in terms of y).</summary>
internal sealed class ActivationFunction : Function
{
    UnaryOp forward;
    BinaryOp backward;
    Tensor saved = null!;
    double alpha;

    public static Tensor Apply(Tensor x, UnaryOp forward, BinaryOp backward, bool backwardFromOutput, double alpha = 0)
    {
        var y = Kernels.Unary(forward, x, alpha);
        var fn = new ActivationFunction { forward = forward, backward = backward, saved = backwardFromOutput ? y : x, alpha = alpha };
        return fn.Connect(y, x);
    }

    public override string Name => forward + "Function";

    protected internal override Tensor?[] Backward(Tensor g) => [Kernels.Binary(backward, saved, g, alpha)];

    public static Tensor Relu(Tensor x) => Apply(x, UnaryOp.Relu, BinaryOp.ReluBackward, backwardFromOutput: false);
    public static Tensor LeakyRelu(Tensor x, double slope) => Apply(x, UnaryOp.LeakyRelu, BinaryOp.LeakyReluBackward, backwardFromOutput: false, slope);
    public static Tensor Sigmoid(Tensor x) => Apply(x, UnaryOp.Sigmoid, BinaryOp.SigmoidBackward, backwardFromOutput: true);
    public static Tensor Tanh(Tensor x) => Apply(x, UnaryOp.Tanh, BinaryOp.TanhBackward, backwardFromOutput: true);
    public static Tensor Silu(Tensor x) => Apply(x, UnaryOp.Silu, BinaryOp.SiluBackward, backwardFromOutput: false);
    public static Tensor Gelu(Tensor x) => Apply(x, UnaryOp.Gelu, BinaryOp.GeluBackward, backwardFromOutput: false);
}

using RawDiffusion.Backends;

namespace RawDiffusion.Nn;

/// <summary>y = x·Wᵀ + b over the last dimension of x, with weight [out, in] and bias [out] (PyTorch's layout and
/// default initialisation, so weights load from torch state dicts unchanged).</summary>
public sealed class Linear : Layer
{
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null, DType? dtype = null, IBackend? backend = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegative(outFeatures);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        using (DisposeScope.Suspend())
        {
            Weight = RegisterParameter("weight", Tensor.Empty([outFeatures, inFeatures], dtype, backend));
            if (bias) Bias = RegisterParameter("bias", Tensor.Empty([outFeatures], dtype, backend));
        }
        Init.LinearOrConvDefault(Weight, Bias, generator);
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    /// <summary>x: [..., in] (a vector [in] is treated as one row) -> [..., out].</summary>
    public override Tensor Forward(Tensor input)
    {
        CheckInput(input);
        return F.Linear(input, Weight, Bias);
    }

    /// <summary>activation(Forward(input)) with the bias and the activation fused (see <see cref="F.Linear(Tensor, Tensor, Tensor?, UnaryOp, double)"/>).</summary>
    public Tensor Forward(Tensor input, UnaryOp activation, double alpha = 0)
    {
        CheckInput(input);
        return F.Linear(input, Weight, Bias, activation, alpha);
    }

    void CheckInput(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank == 0 || input.Shape[^1] != InFeatures)
            throw new ArgumentException($"Linear({InFeatures} -> {OutFeatures}) needs input [..., {InFeatures}], got {ShapeMath.Format(input.Shape)}", nameof(input));
    }

    public override string ToString() => $"Linear({InFeatures} -> {OutFeatures}, bias: {Bias != null})";
}

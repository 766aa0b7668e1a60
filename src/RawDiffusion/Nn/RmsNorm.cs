using RawDiffusion.Backends;

namespace RawDiffusion.Nn;

/// <summary>RMSNorm over the last dimension with a learned scale (initialised to one), as Llama's LlamaRMSNorm.</summary>
public sealed class RmsNorm : Layer
{
    public RmsNorm(int features, double eps = 1e-6, DType? dtype = null, IBackend? backend = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        Features = features;
        Eps = eps;
        using (DisposeScope.Suspend()) Weight = RegisterParameter("weight", Tensor.Ones([features], dtype, backend));
    }

    public int Features { get; }
    public double Eps { get; }
    public Tensor Weight { get; }

    public override Tensor Forward(Tensor input) => F.RmsNorm(input, Weight, Eps);
}

using RawDiffusion.Backends;

namespace RawDiffusion.Nn;

/// <summary>Layer normalisation over the last dimension with an affine transform.</summary>
public sealed class LayerNorm : Layer
{
    public LayerNorm(int features, double eps = 1e-5, DType? dtype = null, IBackend? backend = null)
    {
        Features = features;
        Eps = eps;
        using (DisposeScope.Suspend())
        {
            Weight = RegisterParameter("weight", Tensor.Ones([features], dtype, backend));
            Bias = RegisterParameter("bias", Tensor.Zeros([features], dtype, backend));
        }
    }

    public int Features { get; }
    public double Eps { get; }
    public Tensor Weight { get; }
    public Tensor Bias { get; }

    public override Tensor Forward(Tensor input) => F.LayerNorm(input, [Features], Weight, Bias, Eps);
}

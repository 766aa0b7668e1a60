using RawDiffusion.Backends;

namespace RawDiffusion.Nn;

/// <summary>Group normalisation over [N, C, *] with a per-channel affine transform (weight 1, bias 0 at start).</summary>
public sealed class GroupNorm : Layer
{
    public GroupNorm(int groups, int channels, double eps = 1e-6, DType? dtype = null, IBackend? backend = null)
    {
        if (groups <= 0 || channels % groups != 0)
            throw new ArgumentException($"GroupNorm: {groups} groups do not divide {channels} channels", nameof(groups));
        Groups = groups;
        Channels = channels;
        Eps = eps;
        using (DisposeScope.Suspend())
        {
            Weight = RegisterParameter("weight", Tensor.Ones([channels], dtype, backend));
            Bias = RegisterParameter("bias", Tensor.Zeros([channels], dtype, backend));
        }
    }

    public int Groups { get; }
    public int Channels { get; }
    public double Eps { get; }
    public Tensor Weight { get; }
    public Tensor Bias { get; }

    public override Tensor Forward(Tensor input) => F.GroupNorm(input, Groups, Weight, Bias, Eps);

    /// <summary>F.Silu(Forward(input)) fused into the normalising pass.</summary>
    public Tensor ForwardSilu(Tensor input) => F.GroupNormSilu(input, Groups, Weight, Bias, Eps);

    /// <summary>Latent-diffusion's Normalize(): 32 groups, or fewer when the channel count is small.</summary>
    public static GroupNorm ForChannels(int channels, DType? dtype = null, IBackend? backend = null)
    {
        int groups = Math.Min(32, channels);
        while (channels % groups != 0) groups--;
        return new GroupNorm(groups, channels, 1e-6, dtype, backend);
    }
}

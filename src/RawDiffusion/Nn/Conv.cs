using RawDiffusion.Backends;

namespace RawDiffusion.Nn;

/// <summary>A 1-D or 2-D convolution layer (PyTorch's Conv1d / Conv2d layout and initialisation). One class for both
/// so blocks can be written once and used on weight maps [B, C, H, W] or on long weight vectors [B, C, L].</summary>
public sealed class Conv : Layer
{
    public Conv(int dims, int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, int groups = 1, bool bias = true,
                Generator? generator = null, DType? dtype = null, IBackend? backend = null)
    {
        if (dims is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(dims), dims, "convolutions are 1-D or 2-D");
        if (inChannels <= 0 || outChannels <= 0) throw new ArgumentOutOfRangeException(nameof(inChannels), $"channels must be positive, got {inChannels} -> {outChannels}");
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"groups {groups} must divide both {inChannels} input and {outChannels} output channels", nameof(groups));
        Dims = dims;
        InChannels = inChannels;
        OutChannels = outChannels;
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
        Groups = groups;
        int[] shape = dims == 2 ? [outChannels, inChannels / groups, kernel, kernel] : [outChannels, inChannels / groups, kernel];
        using (DisposeScope.Suspend())
        {
            Weight = RegisterParameter("weight", Tensor.Empty(shape, dtype, backend));
            if (bias) Bias = RegisterParameter("bias", Tensor.Empty([outChannels], dtype, backend));
        }
        Init.LinearOrConvDefault(Weight, Bias, generator);
    }

    public int Dims { get; }
    public int InChannels { get; }
    public int OutChannels { get; }
    public int Kernel { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int Groups { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor input) => Dims == 2
        ? F.Conv2d(input, Weight, Bias, Stride, Padding, 1, Groups)
        : F.Conv1d(input, Weight, Bias, Stride, Padding, 1, Groups);

    public override string ToString() => $"Conv{Dims}d({InChannels} -> {OutChannels}, k{Kernel}, s{Stride}, p{Padding})";
}

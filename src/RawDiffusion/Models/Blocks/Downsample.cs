using RawDiffusion.Nn;

namespace RawDiffusion.Models;

/// <summary>Halves each spatial dimension with a stride-2 3x3 convolution (padding 1).</summary>
public sealed class Downsample : Layer
{
    public Downsample(int dims, int channels, Generator? generator = null) =>
        Conv = RegisterModule("conv", new Conv(dims, channels, channels, 3, stride: 2, padding: 1, generator: generator));

    public Conv Conv { get; }

    public override Tensor Forward(Tensor input) => Conv.Forward(input);
}

using RawDiffusion.Nn;

namespace RawDiffusion.Models;

/// <summary>Doubles each spatial dimension by nearest-neighbour repetition, then a 3x3 convolution smooths it.</summary>
public sealed class Upsample : Layer
{
    public Upsample(int dims, int channels, Generator? generator = null) =>
        Conv = RegisterModule("conv", new Conv(dims, channels, channels, 3, padding: 1, generator: generator));

    public Conv Conv { get; }

    public override Tensor Forward(Tensor input) => Conv.Forward(F.UpsampleNearest(input, 2));
}

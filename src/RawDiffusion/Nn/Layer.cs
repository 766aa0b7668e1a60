namespace RawDiffusion.Nn;

/// <summary>A module with one tensor in and one tensor out, so it can be chained in a <see cref="Sequential"/>.
/// Modules with more inputs (a ResBlock taking a time embedding, a UNet) derive from <see cref="Module"/> directly.</summary>
public abstract class Layer : Module
{
    public abstract Tensor Forward(Tensor input);
}

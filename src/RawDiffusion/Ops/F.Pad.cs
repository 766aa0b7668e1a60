namespace RawDiffusion;

public static partial class F
{
    /// <summary>Constant padding of the trailing dimensions, as torch.nn.functional.pad: <paramref name="padding"/>
    /// holds (left, right) pairs, the last dimension first; negative amounts crop. Same as <see cref="Tensor.Pad"/>.</summary>
    public static Tensor Pad(Tensor input, int[] padding, double value = 0) => input.Pad(padding, value);
}

using RawDiffusion.Backends;
using RawDiffusion.Ops;

namespace RawDiffusion;

public static partial class F
{
    /// <summary>Nearest-neighbour upsampling by an integer <paramref name="scale"/> (torch.nn.functional.interpolate with
    /// mode "nearest" and an integer scale factor): [N, C, H, W] gives [N, C, H·scale, W·scale] and [N, C, L] gives
    /// [N, C, L·scale], each input value repeated over its block.</summary>
    public static Tensor UpsampleNearest(Tensor input, int scale)
    {
        if (input.Rank is not (3 or 4))
            throw new ArgumentException($"UpsampleNearest needs an input [N, C, L] or [N, C, H, W], got {ShapeMath.Format(input.Shape)}", nameof(input));
        Kernels.RequireFloating(input, "UpsampleNearest");
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "UpsampleNearest: the scale factor must be positive");
        int planes = input.Shape[0] * input.Shape[1];
        long width = (long)input.Shape[^1] * scale, height = input.Rank == 4 ? (long)input.Shape[2] * scale : 1;
        if (width > int.MaxValue || height > int.MaxValue)
            throw new ArgumentException($"UpsampleNearest of {ShapeMath.Format(input.Shape)} by {scale} gives a dimension larger than {int.MaxValue}", nameof(scale));
        var blocks = input.Rank == 4
            ? new Pool2dGeometry((int)height, (int)width, scale, scale, scale, scale, 0, 0)
            : new Pool2dGeometry(1, (int)width, 1, scale, 1, scale, 0, 0);
        int[] shape = input.Rank == 4 ? [input.Shape[0], input.Shape[1], (int)height, (int)width] : [input.Shape[0], input.Shape[1], (int)width];
        return UpsampleNearestFunction.Apply(input, blocks, planes, shape);
    }
}

using RawDiffusion.Backends;
using RawDiffusion.Ops;

namespace RawDiffusion;

public static partial class F
{
    /// <summary>2-D max pooling (torch.nn.functional.max_pool2d, floor mode): <paramref name="input"/> [N, C, H, W] gives
    /// [N, C, Ho, Wo], Ho = (H + 2·padding − kernel) / stride + 1. The stride defaults to the kernel size; padding
    /// (at most half the kernel) is never selected. The gradient goes to the position of each maximum.</summary>
    public static Tensor MaxPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0)
    {
        var (geometry, planes, shape) = PoolArguments("MaxPool2d", input, 4, kernelSize, stride ?? kernelSize, padding);
        return MaxPoolFunction.Apply(input, geometry, planes, shape);
    }

    /// <summary>2-D average pooling (torch.nn.functional.avg_pool2d with count_include_pad = true, floor mode): every
    /// window is divided by kernel², padding counting as zeros. The stride defaults to the kernel size.</summary>
    public static Tensor AvgPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0)
    {
        var (geometry, planes, shape) = PoolArguments("AvgPool2d", input, 4, kernelSize, stride ?? kernelSize, padding);
        return AvgPoolFunction.Apply(input, geometry, planes, shape);
    }

    /// <summary>1-D max pooling over the last dimension of [N, C, L] (torch.nn.functional.max_pool1d).</summary>
    public static Tensor MaxPool1d(Tensor input, int kernelSize, int? stride = null, int padding = 0)
    {
        var (geometry, planes, shape) = PoolArguments("MaxPool1d", input, 3, kernelSize, stride ?? kernelSize, padding);
        return MaxPoolFunction.Apply(input, geometry, planes, shape);
    }

    /// <summary>1-D average pooling over the last dimension of [N, C, L] (count_include_pad = true).</summary>
    public static Tensor AvgPool1d(Tensor input, int kernelSize, int? stride = null, int padding = 0)
    {
        var (geometry, planes, shape) = PoolArguments("AvgPool1d", input, 3, kernelSize, stride ?? kernelSize, padding);
        return AvgPoolFunction.Apply(input, geometry, planes, shape);
    }

    /// <summary>Geometry, plane count and output shape of a pooling over the trailing rank − 2 dimensions (1 or 2).</summary>
    static (Pool2dGeometry Geometry, int Planes, int[] OutputShape) PoolArguments(string op, Tensor input, int rank, int kernel, int stride, int padding)
    {
        string layout = rank == 4 ? "[N, C, H, W]" : "[N, C, L]";
        if (input.Rank != rank)
            throw new ArgumentException($"{op} needs an input {layout}, got {ShapeMath.Format(input.Shape)}", nameof(input));
        Kernels.RequireFloating(input, op);
        if (kernel < 1) throw new ArgumentOutOfRangeException("kernelSize", kernel, $"{op}: the kernel size must be positive");
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(stride), stride, $"{op}: the stride must be positive");
        if (padding < 0 || padding > kernel / 2)
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"{op}: padding must be between 0 and half the kernel size ({kernel / 2})");
        var geometry = rank == 4
            ? new Pool2dGeometry(input.Shape[2], input.Shape[3], kernel, kernel, stride, stride, padding, padding)
            : new Pool2dGeometry(1, input.Shape[2], 1, kernel, 1, stride, 0, padding);
        if (geometry.OutputHeight < 1 || geometry.OutputWidth < 1)
            throw new ArgumentException($"{op}: a {kernel}-wide window with padding {padding} does not fit input {ShapeMath.Format(input.Shape)}", nameof(input));
        int[] shape = rank == 4
            ? [input.Shape[0], input.Shape[1], geometry.OutputHeight, geometry.OutputWidth]
            : [input.Shape[0], input.Shape[1], geometry.OutputWidth];
        return (geometry, input.Shape[0] * input.Shape[1], shape);
    }
}

using RawDiffusion.Backends;
using RawDiffusion.Ops;

namespace RawDiffusion;

public static partial class F
{
    /// <summary>2-D convolution (cross-correlation, as torch.nn.functional.conv2d): <paramref name="input"/> [N, C, H, W],
    /// <paramref name="weight"/> [O, C/groups, kh, kw], optional <paramref name="bias"/> [O] give [N, O, Ho, Wo] with
    /// Ho = (H + 2·padding − dilation·(kh − 1) − 1) / stride + 1 (likewise Wo). Zero padding; groups split C and O into
    /// independent blocks (groups = C is a depthwise convolution).</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv2d(input, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    /// <summary><see cref="Conv2d(Tensor, Tensor, Tensor?, int, int, int, int)"/> with separate (height, width) stride, padding and dilation.</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, (int Height, int Width) stride, (int Height, int Width) padding,
                                (int Height, int Width) dilation, int groups = 1)
    {
        if (input.Rank != 4 || weight.Rank != 4)
            throw new ArgumentException($"Conv2d needs input [N, C, H, W] and weight [O, C/groups, kh, kw], got {ShapeMath.Format(input.Shape)} and {ShapeMath.Format(weight.Shape)}");
        var geometry = new Conv2dGeometry(input.Shape[1], input.Shape[2], input.Shape[3], weight.Shape[2], weight.Shape[3],
            stride.Height, stride.Width, padding.Height, padding.Width, dilation.Height, dilation.Width);
        CheckConvolution("Conv2d", input, weight, bias, geometry, groups);
        return ConvolutionFunction.Apply(input, weight, bias, geometry, groups,
            [input.Shape[0], weight.Shape[0], geometry.OutputHeight, geometry.OutputWidth]);
    }

    /// <summary>1-D convolution (torch.nn.functional.conv1d): <paramref name="input"/> [N, C, L], <paramref name="weight"/>
    /// [O, C/groups, k], optional <paramref name="bias"/> [O] give [N, O, Lo], Lo = (L + 2·padding − dilation·(k − 1) − 1) / stride + 1.
    /// Runs as a 2-D convolution of height 1.</summary>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
    {
        if (input.Rank != 3 || weight.Rank != 3)
            throw new ArgumentException($"Conv1d needs input [N, C, L] and weight [O, C/groups, k], got {ShapeMath.Format(input.Shape)} and {ShapeMath.Format(weight.Shape)}");
        var geometry = new Conv2dGeometry(input.Shape[1], 1, input.Shape[2], 1, weight.Shape[2], 1, stride, 0, padding, 1, dilation);
        CheckConvolution("Conv1d", input, weight, bias, geometry, groups);
        return ConvolutionFunction.Apply(input, weight, bias, geometry, groups, [input.Shape[0], weight.Shape[0], geometry.OutputWidth]);
    }

    static void CheckConvolution(string op, Tensor input, Tensor weight, Tensor? bias, in Conv2dGeometry g, int groups)
    {
        string shapes = $"input {ShapeMath.Format(input.Shape)}, weight {ShapeMath.Format(weight.Shape)}";
        if (!ReferenceEquals(input.Backend, weight.Backend) || input.DType != weight.DType || !input.DType.IsFloating())
            throw new ArgumentException($"{op}: input ({input.DType} on {input.Backend.Name}) and weight ({weight.DType} on {weight.Backend.Name}) must share a floating dtype and backend");
        if (groups < 1) throw new ArgumentOutOfRangeException(nameof(groups), groups, $"{op}: groups must be positive");
        int outChannels = weight.Shape[0];
        if (g.Channels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"{op}: groups = {groups} must divide both the input channels ({g.Channels}) and the output channels ({outChannels}); {shapes}", nameof(groups));
        if (weight.Shape[1] != g.Channels / groups)
            throw new ArgumentException($"{op}: weight must have C/groups = {g.Channels / groups} input channels, got {weight.Shape[1]}; {shapes}", nameof(weight));
        if (g.StrideHeight < 1 || g.StrideWidth < 1 || g.DilationHeight < 1 || g.DilationWidth < 1)
            throw new ArgumentOutOfRangeException("stride", $"{op}: stride and dilation must be positive");
        if (g.PadHeight < 0 || g.PadWidth < 0)
            throw new ArgumentOutOfRangeException("padding", $"{op}: padding must not be negative");
        if (g.OutputHeight < 1 || g.OutputWidth < 1)
            throw new ArgumentException($"{op}: the dilated kernel does not fit the padded input ({shapes}, stride {g.StrideHeight}x{g.StrideWidth}, padding {g.PadHeight}x{g.PadWidth}, dilation {g.DilationHeight}x{g.DilationWidth})");
        if (bias != null && (bias.Rank != 1 || bias.Shape[0] != outChannels || bias.DType != input.DType || !ReferenceEquals(bias.Backend, input.Backend)))
            throw new ArgumentException($"{op}: bias must be a [{outChannels}] {input.DType} tensor on {input.Backend.Name}, got {ShapeMath.Format(bias.Shape)} {bias.DType}", nameof(bias));
    }
}

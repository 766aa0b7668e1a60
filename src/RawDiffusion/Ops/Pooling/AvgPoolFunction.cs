using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>Average pooling over the trailing one or two dimensions, dividing by the full window size even where it
/// overlaps the padding (PyTorch's count_include_pad = true). The gradient spreads each output gradient evenly
/// over its window.</summary>
internal sealed class AvgPoolFunction : Function
{
    int[] inputShape = [];
    Pool2dGeometry geometry;
    int planes;

    double Scale => 1.0 / (geometry.KernelHeight * geometry.KernelWidth);

    public static Tensor Apply(Tensor x, in Pool2dGeometry geometry, int planes, int[] outputShape)
    {
        var fn = new AvgPoolFunction { inputShape = x.ShapeArray, geometry = geometry, planes = planes };
        using var xc = new ContiguousLease(x);
        var y = Tensor.Empty(outputShape, x.DType, x.Backend);
        if (y.Numel > 0) x.Backend.SumPool2d(xc.Tensor.Storage.Buffer, xc.Tensor.Offset, y.Storage.Buffer, 0, geometry, planes, fn.Scale);
        return fn.Connect(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        using var gc = new ContiguousLease(g);
        var grad = Tensor.Empty(inputShape, g.DType, g.Backend);
        if (grad.Numel > 0) g.Backend.SumPool2dBackward(gc.Tensor.Storage.Buffer, gc.Tensor.Offset, grad.Storage.Buffer, 0, geometry, planes, Scale);
        return [grad];
    }
}

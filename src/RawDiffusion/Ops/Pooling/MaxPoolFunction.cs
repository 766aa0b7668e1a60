using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>Max pooling over the trailing one or two dimensions. The forward records where each maximum came from
/// (an Int32 tensor of the output's shape), and the gradient goes to exactly those positions.</summary>
internal sealed class MaxPoolFunction : Function
{
    Tensor indices = null!;
    int[] inputShape = [];
    Pool2dGeometry geometry;
    int planes;

    /// <param name="planes">N·C: the number of [Height, Width] planes.</param>
    public static Tensor Apply(Tensor x, in Pool2dGeometry geometry, int planes, int[] outputShape)
    {
        var y = Tensor.Empty(outputShape, x.DType, x.Backend);
        var indices = Tensor.Empty(outputShape, DType.Int32, x.Backend);
        if (y.Numel > 0)
        {
            using var xc = new ContiguousLease(x);
            x.Backend.MaxPool2d(xc.Tensor.Storage.Buffer, xc.Tensor.Offset, y.Storage.Buffer, 0, indices.Storage.Buffer, 0, geometry, planes);
        }
        new MaxPoolFunction { indices = indices, inputShape = x.ShapeArray, geometry = geometry, planes = planes }.Connect(y, x);
        if (y.GradFn == null) indices.Dispose(); // no backward will need the argmax positions
        return y;
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        using var gc = new ContiguousLease(g);
        var grad = Tensor.Empty(inputShape, g.DType, g.Backend);
        if (grad.Numel > 0)
            g.Backend.MaxPool2dBackward(gc.Tensor.Storage.Buffer, gc.Tensor.Offset, indices.Storage.Buffer, 0, grad.Storage.Buffer, 0, geometry, planes);
        return [grad];
    }
}

using RawDiffusion.Backends;

namespace RawDiffusion.Ops;

/// <summary>Nearest-neighbour upsampling by an integer factor: every input pixel becomes a factor x factor block.
/// That is exactly the adjoint of sum pooling with kernel = stride = factor over the output, so the forward is a
/// sum-pool backward and the gradient (each block summed back into its pixel) is a sum pool.</summary>
internal sealed class UpsampleNearestFunction : Function
{
    int[] inputShape = [];
    Pool2dGeometry blocks;
    int planes;

    /// <param name="blocks">Sum pooling over the output whose windows are the blocks.</param>
    public static Tensor Apply(Tensor x, in Pool2dGeometry blocks, int planes, int[] outputShape)
    {
        using var xc = new ContiguousLease(x);
        var y = Tensor.Empty(outputShape, x.DType, x.Backend);
        if (y.Numel > 0) x.Backend.SumPool2dBackward(xc.Tensor.Storage.Buffer, xc.Tensor.Offset, y.Storage.Buffer, 0, blocks, planes, 1);
        return new UpsampleNearestFunction { inputShape = x.ShapeArray, blocks = blocks, planes = planes }.Connect(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        using var gc = new ContiguousLease(g);
        var grad = Tensor.Empty(inputShape, g.DType, g.Backend);
        if (grad.Numel > 0) g.Backend.SumPool2d(gc.Tensor.Storage.Buffer, gc.Tensor.Offset, grad.Storage.Buffer, 0, blocks, planes, 1);
        return [grad];
    }
}

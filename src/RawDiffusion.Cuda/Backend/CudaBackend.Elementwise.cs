using RawDiffusion.Backends;

namespace RawDiffusion.Cuda;

/// <summary>Fill, unary and binary maps over strided views, reductions and random fills.</summary>
public sealed partial class CudaBackend
{
    public void Fill(StridedView destination, double value)
    {
        var dtype = destination.Buffer.DType;
        Primitives.Fill(dtype, At(destination, dtype), destination.Shape, destination.Strides, value);
    }

    public void Unary(UnaryOp op, StridedView x, StridedView destination, double alpha = 0, double beta = 0)
    {
        CheckSameShape(x.Shape, destination.Shape, op.ToString());
        var dtype = destination.Buffer.DType;
        Primitives.Unary(op, dtype, destination.Shape, At(x, dtype), x.Strides, At(destination, dtype), destination.Strides, alpha, beta);
    }

    public void Binary(BinaryOp op, StridedView a, StridedView b, StridedView destination, double alpha = 0, double beta = 0)
    {
        CheckSameShape(a.Shape, destination.Shape, op.ToString());
        CheckSameShape(b.Shape, destination.Shape, op.ToString());
        var dtype = destination.Buffer.DType;
        Primitives.Binary(op, dtype, destination.Shape, At(a, dtype), a.Strides, At(b, dtype), b.Strides, At(destination, dtype), destination.Strides, alpha, beta);
    }

    public void Reduce(ReduceOp op, DeviceBuffer x, long xOffset, DeviceBuffer destination, long destinationOffset, int outer, int n, int inner)
    {
        var dtype = FloatingDType(x, op.ToString());
        long outputs = (long)outer * inner;
        Primitives.Reduce(op, dtype, At(x, xOffset, outputs * n, dtype), At(destination, destinationOffset, outputs, dtype), outer, n, inner);
    }

    public void FillRandom(RandomDistribution distribution, DeviceBuffer destination, long offset, long length, ulong seed, ulong counter, double a, double b)
    {
        var dtype = FloatingDType(destination, nameof(FillRandom));
        Primitives.FillRandom(distribution, dtype, At(destination, offset, length, dtype), length, seed, counter, a, b);
    }

    static void CheckSameShape(int[] operand, int[] destination, string op)
    {
        if (!ShapeMath.SameShape(operand, destination))
            throw new ArgumentException($"{op}: operand shape {ShapeMath.Format(operand)} differs from destination shape {ShapeMath.Format(destination)}");
    }
}

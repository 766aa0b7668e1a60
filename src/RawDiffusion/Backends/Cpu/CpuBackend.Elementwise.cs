using System.Numerics;

namespace RawDiffusion.Backends.Cpu;

internal sealed partial class CpuBackend
{
    public void Fill(StridedView destination, double value)
    {
        switch (destination.Buffer.DType)
        {
            case DType.Float32: FillTyped(destination, (float)value); break;
            case DType.Float64: FillTyped(destination, value); break;
            default: FillTyped(destination, checked((int)value)); break;
        }
    }

    static void FillTyped<T>(StridedView d, T value) where T : unmanaged
    {
        var data = Cpu(d.Buffer).Array<T>();
        if (d.IsContiguous)
        {
            data.AsSpan((int)d.Offset, (int)d.Numel).Fill(value);
            return;
        }
        var loop = new StridedLoop(d.Shape, d.Strides);
        loop.ForSegments((row, col, count) =>
        {
            long o = d.Offset + loop.RowOffset(row, 0) + col * loop.RowStrides[0];
            for (int i = 0; i < count; i++) data[o + i * loop.RowStrides[0]] = value;
        });
    }

    public void Unary(UnaryOp op, StridedView x, StridedView destination, double alpha = 0, double beta = 0)
    {
        CheckSameShape(x.Shape, destination.Shape, op.ToString());
        switch (destination.Buffer.DType)
        {
            case DType.Float32: UnaryTyped<float>(op, x, destination, (float)alpha, (float)beta); break;
            case DType.Float64: UnaryTyped<double>(op, x, destination, alpha, beta); break;
            default:
                if (op != UnaryOp.Copy) throw new ArgumentException($"{op} is not defined for Int32 tensors");
                CopyInts(x, destination);
                break;
        }
    }

    static void UnaryTyped<T>(UnaryOp op, StridedView x, StridedView d, T a, T b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case UnaryOp.Copy: RunUnary<T, CopyK<T>>(x, d, a, b); break;
            case UnaryOp.Neg: RunUnary<T, NegK<T>>(x, d, a, b); break;
            case UnaryOp.AddScalar: RunUnary<T, AddScalarK<T>>(x, d, a, b); break;
            case UnaryOp.MulScalar: RunUnary<T, MulScalarK<T>>(x, d, a, b); break;
            case UnaryOp.PowScalar: RunUnary<T, PowScalarK<T>>(x, d, a, b); break;
            case UnaryOp.Reciprocal: RunUnary<T, ReciprocalK<T>>(x, d, a, b); break;
            case UnaryOp.Exp: RunUnary<T, ExpK<T>>(x, d, a, b); break;
            case UnaryOp.Log: RunUnary<T, LogK<T>>(x, d, a, b); break;
            case UnaryOp.Sqrt: RunUnary<T, SqrtK<T>>(x, d, a, b); break;
            case UnaryOp.Rsqrt: RunUnary<T, RsqrtK<T>>(x, d, a, b); break;
            case UnaryOp.Abs: RunUnary<T, AbsK<T>>(x, d, a, b); break;
            case UnaryOp.Sign: RunUnary<T, SignK<T>>(x, d, a, b); break;
            case UnaryOp.Square: RunUnary<T, SquareK<T>>(x, d, a, b); break;
            case UnaryOp.Relu: RunUnary<T, ReluK<T>>(x, d, a, b); break;
            case UnaryOp.LeakyRelu: RunUnary<T, LeakyReluK<T>>(x, d, a, b); break;
            case UnaryOp.Sigmoid: RunUnary<T, SigmoidK<T>>(x, d, a, b); break;
            case UnaryOp.Tanh: RunUnary<T, TanhK<T>>(x, d, a, b); break;
            case UnaryOp.Silu: RunUnary<T, SiluK<T>>(x, d, a, b); break;
            case UnaryOp.Gelu: RunUnary<T, GeluK<T>>(x, d, a, b); break;
            case UnaryOp.Clamp: RunUnary<T, ClampK<T>>(x, d, a, b); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "unknown unary op");
        }
    }

    static void RunUnary<T, TOp>(StridedView x, StridedView d, T a, T b)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : IUnaryKernel<T>
    {
        var xs = Cpu(x.Buffer).Array<T>();
        var ds = Cpu(d.Buffer).Array<T>();
        if (d.Numel == 0) return;
        var loop = new StridedLoop(d.Shape, d.Strides, x.Strides);
        long sd = loop.RowStrides[0], sx = loop.RowStrides[1];
        loop.ForSegments((row, col, count) =>
            ElementwiseRows.Unary<T, TOp>(xs, x.Offset + loop.RowOffset(row, 1) + col * sx, sx,
                ds, d.Offset + loop.RowOffset(row, 0) + col * sd, sd, count, a, b));
    }

    static void CopyInts(StridedView x, StridedView d)
    {
        var xs = Cpu(x.Buffer).Array<int>();
        var ds = Cpu(d.Buffer).Array<int>();
        if (d.Numel == 0) return;
        var loop = new StridedLoop(d.Shape, d.Strides, x.Strides);
        long sd = loop.RowStrides[0], sx = loop.RowStrides[1];
        loop.ForSegments((row, col, count) =>
        {
            long o = d.Offset + loop.RowOffset(row, 0) + col * sd, i = x.Offset + loop.RowOffset(row, 1) + col * sx;
            for (int k = 0; k < count; k++) ds[o + k * sd] = xs[i + k * sx];
        });
    }

    public void Binary(BinaryOp op, StridedView a, StridedView b, StridedView destination, double alpha = 0, double beta = 0)
    {
        CheckSameShape(a.Shape, destination.Shape, op.ToString());
        CheckSameShape(b.Shape, destination.Shape, op.ToString());
        switch (destination.Buffer.DType)
        {
            case DType.Float32: BinaryTyped<float>(op, a, b, destination, (float)alpha, (float)beta); break;
            case DType.Float64: BinaryTyped<double>(op, a, b, destination, alpha, beta); break;
            default: throw new ArgumentException($"{op} is not defined for Int32 tensors");
        }
    }

    static void BinaryTyped<T>(BinaryOp op, StridedView a, StridedView b, StridedView d, T p, T q) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case BinaryOp.Add: RunBinary<T, AddK<T>>(a, b, d, p, q); break;
            case BinaryOp.Sub: RunBinary<T, SubK<T>>(a, b, d, p, q); break;
            case BinaryOp.Mul: RunBinary<T, MulK<T>>(a, b, d, p, q); break;
            case BinaryOp.Div: RunBinary<T, DivK<T>>(a, b, d, p, q); break;
            case BinaryOp.Pow: RunBinary<T, PowK<T>>(a, b, d, p, q); break;
            case BinaryOp.Maximum: RunBinary<T, MaximumK<T>>(a, b, d, p, q); break;
            case BinaryOp.Minimum: RunBinary<T, MinimumK<T>>(a, b, d, p, q); break;
            case BinaryOp.Equal: RunBinary<T, EqualK<T>>(a, b, d, p, q); break;
            case BinaryOp.Greater: RunBinary<T, GreaterK<T>>(a, b, d, p, q); break;
            case BinaryOp.ReluBackward: RunBinary<T, ReluBackwardK<T>>(a, b, d, p, q); break;
            case BinaryOp.LeakyReluBackward: RunBinary<T, LeakyReluBackwardK<T>>(a, b, d, p, q); break;
            case BinaryOp.SigmoidBackward: RunBinary<T, SigmoidBackwardK<T>>(a, b, d, p, q); break;
            case BinaryOp.TanhBackward: RunBinary<T, TanhBackwardK<T>>(a, b, d, p, q); break;
            case BinaryOp.SiluBackward: RunBinary<T, SiluBackwardK<T>>(a, b, d, p, q); break;
            case BinaryOp.GeluBackward: RunBinary<T, GeluBackwardK<T>>(a, b, d, p, q); break;
            case BinaryOp.ClampBackward: RunBinary<T, ClampBackwardK<T>>(a, b, d, p, q); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "unknown binary op");
        }
    }

    static void RunBinary<T, TOp>(StridedView a, StridedView b, StridedView d, T p, T q)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : IBinaryKernel<T>
    {
        var aa = Cpu(a.Buffer).Array<T>();
        var bb = Cpu(b.Buffer).Array<T>();
        var dd = Cpu(d.Buffer).Array<T>();
        if (d.Numel == 0) return;
        var loop = new StridedLoop(d.Shape, d.Strides, a.Strides, b.Strides);
        long sd = loop.RowStrides[0], sa = loop.RowStrides[1], sb = loop.RowStrides[2];
        loop.ForSegments((row, col, count) =>
            ElementwiseRows.Binary<T, TOp>(
                aa, a.Offset + loop.RowOffset(row, 1) + col * sa, sa,
                bb, b.Offset + loop.RowOffset(row, 2) + col * sb, sb,
                dd, d.Offset + loop.RowOffset(row, 0) + col * sd, sd, count, p, q));
    }

    static void CheckSameShape(int[] a, int[] d, string op)
    {
        if (!ShapeMath.SameShape(a, d))
            throw new ArgumentException($"{op}: operand shape {ShapeMath.Format(a)} differs from destination shape {ShapeMath.Format(d)}");
    }
}

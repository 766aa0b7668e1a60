using RawDiffusion.Backends;
using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Cuda;

/// <summary>Fill, unary and binary maps over strided views (kernels/fill.cu, kernels/unary.cu, kernels/binary.cu).
/// Operands are views of one shape (broadcast operands carry 0 strides). Shapes are coalesced first; a shape that
/// ends up dense in every operand takes the contiguous kernel (or cuMemsetD32 / cuMemcpyDtoD), anything else the
/// strided one.</summary>
public sealed partial class CudaBackend
{
    public void Fill(StridedView destination, double value)
    {
        var dtype = destination.Buffer.DType;
        Fill(dtype, At(destination, dtype), destination.Shape, destination.Strides, value);
    }

    public void Unary(UnaryOp op, StridedView x, StridedView destination, double alpha = 0, double beta = 0)
    {
        CheckSameShape(x.Shape, destination.Shape, op.ToString());
        var dtype = destination.Buffer.DType;
        Unary(op, dtype, destination.Shape, At(x, dtype), x.Strides, At(destination, dtype), destination.Strides, alpha, beta);
    }

    public void Binary(BinaryOp op, StridedView a, StridedView b, StridedView destination, double alpha = 0, double beta = 0)
    {
        CheckSameShape(a.Shape, destination.Shape, op.ToString());
        CheckSameShape(b.Shape, destination.Shape, op.ToString());
        var dtype = destination.Buffer.DType;
        Binary(op, dtype, destination.Shape, At(a, dtype), a.Strides, At(b, dtype), b.Strides, At(destination, dtype), destination.Strides, alpha, beta);
    }

    static void CheckSameShape(int[] operand, int[] destination, string op)
    {
        if (!ShapeMath.SameShape(operand, destination))
            throw new ArgumentException($"{op}: operand shape {ShapeMath.Format(operand)} differs from destination shape {ShapeMath.Format(destination)}");
    }

    public void Fill(DType dtype, nint destination, int[] shape, long[] strides, double value)
    {
        var coalesced = CoalescedShape.Create(shape, strides);
        long n = coalesced.Numel;
        if (n == 0) return;
        if (coalesced.IsContiguous && dtype != DType.Float64)
        {
            uint bits = dtype == DType.Float32 ? BitConverter.SingleToUInt32Bits((float)value) : unchecked((uint)checked((int)value));
            context.SetWords(destination, bits, n);
            return;
        }
        if (coalesced.IsContiguous)
        {
            var arguments = new KernelArguments();
            arguments.Add(destination);
            arguments.Add(n);
            arguments.Add(value);
            launcher.Launch("fill_f64", launcher.Linear(n), ref arguments);
            return;
        }
        foreach (var part in coalesced.Parts())
        {
            var arguments = new KernelArguments();
            arguments.Add(Offset(destination, part.Offsets[0], dtype));
            arguments.Add(part.Layout);
            AddScalar(ref arguments, dtype, value);
            launcher.Launch(Typed("fill_strided", dtype), launcher.Linear(part.Layout.Numel), ref arguments);
        }
    }

    /// <summary>y = op(x; alpha, beta). Int32 supports Copy only.</summary>
    public void Unary(UnaryOp op, DType dtype, int[] shape, nint x, long[] xStrides, nint y, long[] yStrides, double alpha = 0, double beta = 0)
    {
        if (dtype == DType.Int32 && op != UnaryOp.Copy) throw new ArgumentException($"{op} is not defined for Int32 tensors");
        var coalesced = CoalescedShape.Create(shape, yStrides, xStrides);
        long n = coalesced.Numel;
        if (n == 0) return;
        if (coalesced.IsContiguous && op == UnaryOp.Copy)
        {
            context.CopyDeviceToDevice(y, x, n * dtype.SizeOf());
            return;
        }
        if (coalesced.IsContiguous)
        {
            var arguments = new KernelArguments();
            arguments.Add((int)op);
            arguments.Add(x);
            arguments.Add(y);
            arguments.Add(n);
            AddScalar(ref arguments, dtype, alpha);
            AddScalar(ref arguments, dtype, beta);
            launcher.Launch(Typed("unary", dtype), launcher.Linear(n), ref arguments);
            return;
        }
        foreach (var part in coalesced.Parts())
        {
            var arguments = new KernelArguments();
            if (dtype != DType.Int32) arguments.Add((int)op);
            arguments.Add(Offset(x, part.Offsets[1], dtype));
            arguments.Add(Offset(y, part.Offsets[0], dtype));
            arguments.Add(part.Layout);
            if (dtype != DType.Int32)
            {
                AddScalar(ref arguments, dtype, alpha);
                AddScalar(ref arguments, dtype, beta);
            }
            launcher.Launch(dtype == DType.Int32 ? "copy_strided_i32" : Typed("unary_strided", dtype), launcher.Linear(part.Layout.Numel), ref arguments);
        }
    }

    /// <summary>y = op(a, b; alpha, beta), all three of one shape.</summary>
    public void Binary(BinaryOp op, DType dtype, int[] shape, nint a, long[] aStrides, nint b, long[] bStrides, nint y, long[] yStrides,
                       double alpha = 0, double beta = 0)
    {
        RequireFloating(dtype, op.ToString());
        var coalesced = CoalescedShape.Create(shape, yStrides, aStrides, bStrides);
        long n = coalesced.Numel;
        if (n == 0) return;
        if (coalesced.IsContiguous)
        {
            var arguments = new KernelArguments();
            arguments.Add((int)op);
            arguments.Add(a);
            arguments.Add(b);
            arguments.Add(y);
            arguments.Add(n);
            AddScalar(ref arguments, dtype, alpha);
            AddScalar(ref arguments, dtype, beta);
            launcher.Launch(Typed("binary", dtype), launcher.Linear(n), ref arguments);
            return;
        }
        foreach (var part in coalesced.Parts())
        {
            var arguments = new KernelArguments();
            arguments.Add((int)op);
            arguments.Add(Offset(a, part.Offsets[1], dtype));
            arguments.Add(Offset(b, part.Offsets[2], dtype));
            arguments.Add(Offset(y, part.Offsets[0], dtype));
            arguments.Add(part.Layout);
            AddScalar(ref arguments, dtype, alpha);
            AddScalar(ref arguments, dtype, beta);
            launcher.Launch(Typed("binary_strided", dtype), launcher.Linear(part.Layout.Numel), ref arguments);
        }
    }
}

using RawDiffusion.Backends;
using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Cuda;

/// <summary>A linear layer's bias and activation in one pass (bias_activation in kernels/unary.cu).</summary>
public sealed partial class CudaBackend
{
    public void BiasActivation(StridedView y, StridedView bias, int rows, int n, UnaryOp activation, double alpha, StridedView? preActivation)
    {
        var dtype = FloatingDType(y.Buffer, nameof(BiasActivation));
        long count = (long)rows * n;
        BiasActivation(dtype, Dense(y, count, dtype), Dense(bias, n, dtype), rows, n, activation, alpha, Dense(preActivation, count, dtype));
    }

    public void BiasActivation(DType dtype, nint y, nint bias, int rows, int n, UnaryOp activation, double alpha, nint preActivation)
    {
        RequireFloating(dtype, nameof(BiasActivation));
        if (rows < 0 || n < 0) throw new ArgumentOutOfRangeException(nameof(rows), $"BiasActivation over [{rows}, {n}]");
        long count = (long)rows * n;
        if (count == 0) return;
        var arguments = new KernelArguments();
        arguments.Add((int)activation);
        arguments.Add(y);
        arguments.Add(bias);
        arguments.Add((long)rows);
        arguments.Add(n);
        AddScalar(ref arguments, dtype, alpha);
        arguments.Add(preActivation);
        launcher.Launch(Typed("bias_activation", dtype), launcher.Linear(count), ref arguments);
    }
}

using RawDiffusion.Backends;
using RawDiffusion.Cuda.Kernels;

namespace RawDiffusion.Cuda;

/// <summary>Negative log-likelihood rows with label smoothing, forward and backward (kernels/loss.cu).</summary>
public sealed partial class CudaBackend
{
    /// <summary>Waits for the kernel to learn whether every target was valid.</summary>
    public long NllLossRows(DeviceBuffer logProbs, long logProbsOffset, DeviceBuffer targets, long targetsOffset,
                            DeviceBuffer loss, long lossOffset, int rows, int classes, double smoothing)
    {
        var dtype = FloatingDType(loss, "the NLL loss");
        return NllLossRows(dtype, At(logProbs, logProbsOffset, (long)rows * classes, dtype), At(targets, targetsOffset, rows, DType.Int32),
            At(loss, lossOffset, rows, dtype), rows, classes, smoothing);
    }

    public void NllLossBackwardRows(DeviceBuffer targets, long targetsOffset, DeviceBuffer gradient, long gradientOffset, long gradientStride,
                                    double scale, DeviceBuffer gradLogProbs, long gradLogProbsOffset, int rows, int classes, double smoothing)
    {
        var dtype = FloatingDType(gradLogProbs, "the NLL loss");
        long gradients = rows == 0 ? 0 : (rows - 1) * gradientStride + 1;
        NllLossBackwardRows(dtype, At(targets, targetsOffset, rows, DType.Int32), At(gradient, gradientOffset, gradients, dtype), gradientStride,
            scale, At(gradLogProbs, gradLogProbsOffset, (long)rows * classes, dtype), rows, classes, smoothing);
    }

    /// <summary>loss[r] = −(1 − s)·logp[r, t_r] − (s / classes)·Σ_c logp[r, c]; returns −1, or the first row whose target
    /// lies outside [0, classes). Reading that answer waits for the kernel: the one host synchronisation here.</summary>
    public long NllLossRows(DType dtype, nint logProbs, nint targets, nint loss, int rows, int classes, double smoothing)
    {
        RequireFloating(dtype, "NllLoss");
        RequireRows(rows, classes);
        if (rows == 0) return -1;
        var firstBad = allocator.Allocate(sizeof(int));
        try
        {
            context.SetWords(firstBad.Pointer, int.MaxValue, 1);
            var arguments = new KernelArguments();
            arguments.Add(logProbs);
            arguments.Add(targets);
            arguments.Add(loss);
            arguments.Add(rows);
            arguments.Add(classes);
            arguments.Add(smoothing);
            arguments.Add(firstBad.Pointer);
            // Without smoothing a row needs no sum: one thread per row.
            launcher.Launch(Typed("nll_loss_rows", dtype), smoothing > 0 ? RowTiles(rows, classes) : RowTiles(rows, 1), ref arguments);
            Span<int> answer = stackalloc int[1];
            context.CopyToHost<int>(firstBad.Pointer, answer);
            return answer[0] == int.MaxValue ? -1 : answer[0];
        }
        finally
        {
            allocator.Free(firstBad);
        }
    }

    /// <summary>Writes the whole block dlogp[r, c] = −scale·g[r·gradientStride]·((1 − s)·[c = t_r] + s / classes).</summary>
    public void NllLossBackwardRows(DType dtype, nint targets, nint gradient, long gradientStride, double scale, nint gradLogProbs,
                                    int rows, int classes, double smoothing)
    {
        RequireFloating(dtype, "NllLoss");
        RequireRows(rows, classes);
        ArgumentOutOfRangeException.ThrowIfNegative(gradientStride);
        long n = (long)rows * classes;
        if (n == 0) return;
        var arguments = new KernelArguments();
        arguments.Add(targets);
        arguments.Add(gradient);
        arguments.Add(gradientStride);
        arguments.Add(scale);
        arguments.Add(gradLogProbs);
        arguments.Add(rows);
        arguments.Add(classes);
        arguments.Add(smoothing);
        launcher.Launch(Typed("nll_loss_backward_rows", dtype), launcher.Linear(n), ref arguments);
    }
}

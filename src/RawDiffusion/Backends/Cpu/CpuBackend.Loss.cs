using System.Numerics;

namespace RawDiffusion.Backends.Cpu;

internal sealed partial class CpuBackend
{
    public long NllLossRows(DeviceBuffer logProbs, long logProbsOffset, DeviceBuffer targets, long targetsOffset,
                            DeviceBuffer loss, long lossOffset, int rows, int classes, double smoothing)
    {
        var t = Cpu(targets).Array<int>();
        return loss.DType switch
        {
            DType.Float32 => LossKernels.Nll(Cpu(logProbs).Array<float>(), logProbsOffset, t, targetsOffset, Cpu(loss).Array<float>(), lossOffset, rows, classes, smoothing),
            DType.Float64 => LossKernels.Nll(Cpu(logProbs).Array<double>(), logProbsOffset, t, targetsOffset, Cpu(loss).Array<double>(), lossOffset, rows, classes, smoothing),
            _ => throw new ArgumentException("the NLL loss needs floating-point log-probabilities, not Int32"),
        };
    }

    public void NllLossBackwardRows(DeviceBuffer targets, long targetsOffset, DeviceBuffer gradient, long gradientOffset, long gradientStride,
                                    double scale, DeviceBuffer gradLogProbs, long gradLogProbsOffset, int rows, int classes, double smoothing)
    {
        var t = Cpu(targets).Array<int>();
        switch (gradLogProbs.DType)
        {
            case DType.Float32:
                LossKernels.NllBackward(t, targetsOffset, Cpu(gradient).Array<float>(), gradientOffset, gradientStride, scale,
                    Cpu(gradLogProbs).Array<float>(), gradLogProbsOffset, rows, classes, smoothing);
                break;
            case DType.Float64:
                LossKernels.NllBackward(t, targetsOffset, Cpu(gradient).Array<double>(), gradientOffset, gradientStride, scale,
                    Cpu(gradLogProbs).Array<double>(), gradLogProbsOffset, rows, classes, smoothing);
                break;
            default: throw new ArgumentException("the NLL loss needs floating-point log-probabilities, not Int32");
        }
    }
}

/// <summary>Gather (forward) and scatter (backward) of the target column of each row.</summary>
internal static class LossKernels
{
    public static long Nll<T>(T[] logp, long lo, int[] targets, long to, T[] loss, long lossOffset, int rows, int classes, double smoothing)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long firstBad = long.MaxValue;
        var gate = new object();
        CpuParallel.ForRanges(rows, smoothing > 0 ? (long)rows * classes : rows, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                int target = targets[to + r];
                if ((uint)target >= (uint)classes)
                {
                    lock (gate) firstBad = Math.Min(firstBad, r);
                    return;
                }
                var row = logp.AsSpan((int)(lo + (long)r * classes), classes);
                double value = -(1 - smoothing) * double.CreateTruncating(row[target]);
                if (smoothing > 0) value -= smoothing / classes * double.CreateTruncating(SimdRows.Sum<T>(row));
                loss[lossOffset + r] = T.CreateTruncating(value);
            }
        });
        return firstBad == long.MaxValue ? -1 : firstBad;
    }

    public static void NllBackward<T>(int[] targets, long to, T[] g, long go, long gs, double scale, T[] d, long dOffset, int rows, int classes, double smoothing)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CpuParallel.ForRanges(rows, (long)rows * classes, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                double gr = -scale * double.CreateTruncating(g[go + r * gs]);
                var row = d.AsSpan((int)(dOffset + (long)r * classes), classes);
                row.Fill(T.CreateTruncating(gr * smoothing / classes));
                row[targets[to + r]] = T.CreateTruncating(gr * (1 - smoothing + smoothing / classes));
            }
        });
    }
}

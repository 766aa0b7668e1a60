using RawDiffusion.Backends;

namespace RawDiffusion.Cuda;

/// <summary>Fused layer, group and batch normalisation passes. Every view must be contiguous, as on the CPU.</summary>
public sealed partial class CudaBackend
{
    public void NormStatistics(StridedView x, NormLayout layout, StridedView mean, StridedView variance)
    {
        var dtype = FloatingDType(x.Buffer, "normalisation");
        Primitives.NormStatistics(dtype, Dense(x, layout.Numel, dtype), layout, Dense(mean, layout.StatCount, dtype), Dense(variance, layout.StatCount, dtype));
    }

    public void NormForward(StridedView x, StridedView mean, StridedView variance, double eps, StridedView? weight, StridedView? bias,
                            NormLayout layout, StridedView y)
    {
        var dtype = FloatingDType(x.Buffer, "normalisation");
        Primitives.NormForward(dtype, Dense(x, layout.Numel, dtype), Dense(mean, layout.StatCount, dtype), Dense(variance, layout.StatCount, dtype), eps,
            Dense(weight, layout.Channels, dtype), Dense(bias, layout.Channels, dtype), layout, Dense(y, layout.Numel, dtype));
    }

    public void NormBackwardSums(StridedView x, StridedView gradient, StridedView mean, StridedView variance, double eps, StridedView? weight,
                                 NormLayout layout, StridedView? statGradSum, StridedView? statGradXhatSum,
                                 StridedView? channelGradSum, StridedView? channelGradXhatSum)
    {
        var dtype = FloatingDType(x.Buffer, "normalisation");
        Primitives.NormBackwardSums(dtype, Dense(x, layout.Numel, dtype), Dense(gradient, layout.Numel, dtype),
            Dense(mean, layout.StatCount, dtype), Dense(variance, layout.StatCount, dtype), eps, Dense(weight, layout.Channels, dtype), layout,
            Dense(statGradSum, layout.StatCount, dtype), Dense(statGradXhatSum, layout.StatCount, dtype),
            Dense(channelGradSum, layout.Channels, dtype), Dense(channelGradXhatSum, layout.Channels, dtype));
    }

    public void NormBackward(StridedView x, StridedView gradient, StridedView mean, StridedView variance, double eps, StridedView? weight,
                             StridedView? statGradSum, StridedView? statGradXhatSum, NormLayout layout, StridedView dx)
    {
        var dtype = FloatingDType(x.Buffer, "normalisation");
        Primitives.NormBackward(dtype, Dense(x, layout.Numel, dtype), Dense(gradient, layout.Numel, dtype),
            Dense(mean, layout.StatCount, dtype), Dense(variance, layout.StatCount, dtype), eps, Dense(weight, layout.Channels, dtype),
            Dense(statGradSum, layout.StatCount, dtype), Dense(statGradXhatSum, layout.StatCount, dtype), layout, Dense(dx, layout.Numel, dtype));
    }
}

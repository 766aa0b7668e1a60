using RawDiffusion.Ops;

namespace RawDiffusion;

public static partial class F
{
    /// <summary>Squared error (input − target)², averaged ("mean", default), summed ("sum") or per element ("none").
    /// The shapes must match exactly: a silently broadcast target is a classic bug.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, string reduction = "mean")
    {
        var parsed = LossReductions.Parse(reduction, nameof(MseLoss));
        LossReductions.RequireSameShape(input, target, nameof(MseLoss));
        return RegressionLossFunction.Apply(input, target, squared: true, parsed);
    }

    /// <summary>Absolute error |input − target|, reduced as in <see cref="MseLoss"/>. Gradient sign(input − target),
    /// 0 where they are equal.</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, string reduction = "mean")
    {
        var parsed = LossReductions.Parse(reduction, nameof(L1Loss));
        LossReductions.RequireSameShape(input, target, nameof(L1Loss));
        return RegressionLossFunction.Apply(input, target, squared: false, parsed);
    }
}

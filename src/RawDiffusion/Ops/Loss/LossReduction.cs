namespace RawDiffusion.Ops;

/// <summary>How a loss combines its per-element values, named as in PyTorch ("mean", "sum", "none").</summary>
internal enum LossReduction { None, Mean, Sum }

internal static class LossReductions
{
    public static LossReduction Parse(string reduction, string op) => reduction switch
    {
        "mean" => LossReduction.Mean,
        "sum" => LossReduction.Sum,
        "none" => LossReduction.None,
        _ => throw new ArgumentException($"{op}: reduction must be \"mean\", \"sum\" or \"none\", got \"{reduction}\"", nameof(reduction)),
    };

    public static void RequireSameShape(Tensor input, Tensor target, string loss)
    {
        if (!ShapeMath.SameShape(input.Shape, target.Shape))
            throw new ArgumentException($"{loss}: input shape {ShapeMath.Format(input.Shape)} and target shape {ShapeMath.Format(target.Shape)} must match", nameof(target));
    }
}

namespace RawDiffusion.Ops;

/// <summary>How a loss combines its per-element terms, parsed from PyTorch's reduction strings.</summary>
internal enum LossReduction { None, Mean, Sum }

internal static class LossArguments
{
    public static LossReduction ParseReduction(string reduction, string loss) => reduction switch
    {
        "mean" => LossReduction.Mean,
        "sum" => LossReduction.Sum,
        "none" => LossReduction.None,
        _ => throw new ArgumentException($"{loss}: reduction must be \"mean\", \"sum\" or \"none\", got \"{reduction}\"", nameof(reduction)),
    };

    public static void RequireSameShape(Tensor input, Tensor target, string loss)
    {
        if (!ShapeMath.SameShape(input.Shape, target.Shape))
            throw new ArgumentException($"{loss}: input shape {ShapeMath.Format(input.Shape)} and target shape {ShapeMath.Format(target.Shape)} must match", nameof(target));
    }
}

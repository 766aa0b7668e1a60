using RawDiffusion.Nn;

namespace RawDiffusion.Models;

/// <summary>Set Attention Block: self-attention over the set, SAB(X) = MAB(X, X). Cost O(n²).</summary>
public sealed class Sab : Layer
{
    public Sab(int dimIn, int dimOut, int heads, bool layerNorm = true, Generator? generator = null) =>
        Mab = RegisterModule("mab", new Mab(dimIn, dimIn, dimOut, heads, layerNorm, generator));

    public Mab Mab { get; }

    public override Tensor Forward(Tensor input) => Mab.Forward(input, input);
}

/// <summary>Induced Set Attention Block: m learned inducing points attend to the set, then the set attends to them,
/// ISAB(X) = MAB(X, MAB(I, X)). Cost O(n·m).</summary>
public sealed class Isab : Layer
{
    public Isab(int dimIn, int dimOut, int heads, int inducingPoints, bool layerNorm = true, Generator? generator = null)
    {
        using (DisposeScope.Suspend()) InducingPoints = RegisterParameter("I", Tensor.Empty([1, inducingPoints, dimOut]));
        Init.XavierUniform(InducingPoints, generator: generator);
        Mab0 = RegisterModule("mab0", new Mab(dimOut, dimIn, dimOut, heads, layerNorm, generator));
        Mab1 = RegisterModule("mab1", new Mab(dimIn, dimOut, dimOut, heads, layerNorm, generator));
    }

    public Tensor InducingPoints { get; }
    public Mab Mab0 { get; }
    public Mab Mab1 { get; }

    public override Tensor Forward(Tensor input)
    {
        var induced = InducingPoints.Expand([input.Shape[0], InducingPoints.Shape[1], InducingPoints.Shape[2]]);
        return Mab1.Forward(input, Mab0.Forward(induced, input));
    }
}

/// <summary>Pooling by Multihead Attention: k learned seed vectors attend to the set, PMA(Z) = MAB(S, Z) -> [B, k, dim].</summary>
public sealed class Pma : Layer
{
    public Pma(int dim, int heads, int seeds, bool layerNorm = true, Generator? generator = null)
    {
        using (DisposeScope.Suspend()) Seeds = RegisterParameter("S", Tensor.Empty([1, seeds, dim]));
        Init.XavierUniform(Seeds, generator: generator);
        Mab = RegisterModule("mab", new Mab(dim, dim, dim, heads, layerNorm, generator));
    }

    public Tensor Seeds { get; }
    public Mab Mab { get; }

    public override Tensor Forward(Tensor input) =>
        Mab.Forward(Seeds.Expand([input.Shape[0], Seeds.Shape[1], Seeds.Shape[2]]), input);
}

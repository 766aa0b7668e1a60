namespace RawDiffusion.Nn;

/// <summary>A parameter-free layer that applies a function, e.g. <c>new Activation("silu", F.Silu)</c>, so
/// activations and other stateless ops can sit in a <see cref="Sequential"/>.</summary>
public sealed class Activation : Layer
{
    readonly Func<Tensor, Tensor> function;

    public Activation(string name, Func<Tensor, Tensor> function)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(function);
        Name = name;
        this.function = function;
    }

    public string Name { get; }

    public override Tensor Forward(Tensor input) => function(input);

    public override string ToString() => Name;
}

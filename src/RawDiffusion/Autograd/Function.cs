namespace RawDiffusion;

/// <summary>One differentiable operation: its forward is a static Apply method on the subclass that computes
/// the output and calls <see cref="Connect"/>; its <see cref="Backward"/> sits beside it and maps the output
/// gradient to one gradient per input, written with ordinary tensor operations (grad mode is off there).</summary>
public abstract class Function
{
    internal Tensor[] Inputs = [];

    /// <summary>Gradients with respect to <see cref="Inputs"/>, each of its input's shape, or null for an
    /// input that needs none.</summary>
    protected internal abstract Tensor?[] Backward(Tensor gradOutput);

    /// <summary>True when input <paramref name="index"/> needs a gradient (saves work in Backward).</summary>
    protected bool NeedsGrad(int index) => index < Inputs.Length && Inputs[index].RequiresGrad;

    /// <summary>Records this function as the creator of <paramref name="output"/> when grad mode is on and any
    /// input requires a gradient; otherwise leaves the output a plain tensor.</summary>
    protected Tensor Connect(Tensor output, params Tensor[] inputs)
    {
        if (!GradMode.IsEnabled) return output;
        bool any = false;
        foreach (var input in inputs) any |= input.RequiresGrad;
        if (!any) return output;
        Inputs = inputs;
        output.GradFn = this;
        output.RequiresGrad = true;
        return output;
    }

    public virtual string Name => GetType().Name;
}

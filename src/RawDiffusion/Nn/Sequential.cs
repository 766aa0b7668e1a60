namespace RawDiffusion.Nn;

/// <summary>Layers applied in order; they are registered as children "0", "1", ... like torch.nn.Sequential,
/// so a parameter's key is e.g. "2.weight".</summary>
public sealed class Sequential : Layer
{
    readonly List<Layer> layers = [];

    public Sequential(params Layer[] layers)
    {
        foreach (var layer in layers) Add(layer);
    }

    /// <summary>Appends a layer under the next index.</summary>
    public Sequential Add(Layer layer)
    {
        RegisterModule(layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer);
        layers.Add(layer);
        return this;
    }

    public int Count => layers.Count;

    public Layer this[int index] => layers[index];

    public override Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var layer in layers) x = layer.Forward(x);
        return x;
    }
}

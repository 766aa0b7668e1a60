using RawDiffusion.Nn;

namespace RawDiffusion.Models.Language;

/// <summary>LlamaPreTrainedModel._init_weights: Linear and Embedding weights from N(0, initializer_range²), no biases.</summary>
static class LlamaInit
{
    public static Linear Linear(int inFeatures, int outFeatures, LlamaConfig config, Generator? generator)
    {
        var linear = new Linear(inFeatures, outFeatures, bias: false, generator: generator);
        Init.Normal(linear.Weight, 0, config.InitializerRange, generator);
        return linear;
    }
}

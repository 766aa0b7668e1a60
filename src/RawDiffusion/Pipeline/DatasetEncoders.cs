using RawDiffusion.Models;
using RawDiffusion.Nn;

namespace RawDiffusion.Pipeline;

/// <summary>The dataset encoder a config names: the Set Transformer or the MLP over class means.</summary>
public static class DatasetEncoders
{
    public static Module Create(DatasetEncoderConfig config, Generator? generator = null) => config.Kind switch
    {
        "mlp" => new MlpDatasetEncoder(config, generator),
        _ => new SetTransformerEncoder(config, generator),
    };
}

using RawDiffusion.Nn;

namespace RawDiffusion.Models;

/// <summary>D2NWG's hierarchical dataset encoder. Intra-class: each class's K examples -> 2 x ISAB -> PMA(1) -> 2 x SAB
/// -> Linear back to the feature width: one prototype per class. A learned embedding per class slot is added to the
/// prototypes, so the encoding carries the class order that the generated classifier's outputs must follow
/// (the paper's encoder is order-invariant; a classifier head is not). Inter-class: the same stack over the C prototypes
/// -> one vector, then Linear to the output length.</summary>
public sealed class SetTransformerEncoder : Module, IDatasetEncoder
{
    sealed class SetStack : Module
    {
        readonly Layer[] layers;

        public SetStack(int dimIn, DatasetEncoderConfig c, Generator? g)
        {
            layers =
            [
                RegisterModule("isab0", new Isab(dimIn, c.Hidden, c.Heads, c.InducingPoints, generator: g)),
                RegisterModule("isab1", new Isab(c.Hidden, c.Hidden, c.Heads, c.InducingPoints, generator: g)),
                RegisterModule("pma", new Pma(c.Hidden, c.Heads, 1, generator: g)),
                RegisterModule("sab0", new Sab(c.Hidden, c.Hidden, c.Heads, generator: g)),
                RegisterModule("sab1", new Sab(c.Hidden, c.Hidden, c.Heads, generator: g)),
            ];
            Out = RegisterModule("out", new Linear(c.Hidden, dimIn, generator: g));
        }

        public Linear Out { get; }

        /// <summary>[B, N, dimIn] -> [B, dimIn].</summary>
        public Tensor Forward(Tensor set)
        {
            var h = set;
            foreach (var layer in layers) h = layer.Forward(h);
            return Out.Forward(h.Reshape(h.Shape[0], h.Shape[2]));
        }
    }

    readonly SetStack intra, inter;

    public SetTransformerEncoder(DatasetEncoderConfig config, Generator? generator = null)
    {
        config.Validate();
        Config = config;
        intra = RegisterModule("intra", new SetStack(config.FeatureLength, config, generator));
        using (DisposeScope.Suspend()) ClassSlots = RegisterParameter("class_slots", Tensor.Zeros([config.MaxClasses, config.FeatureLength]));
        Init.Normal(ClassSlots, 0, 0.02, generator);
        inter = RegisterModule("inter", new SetStack(config.FeatureLength, config, generator));
        Projection = RegisterModule("proj", new Linear(config.FeatureLength, config.OutputLength, generator: generator));
    }

    public DatasetEncoderConfig Config { get; }
    public Tensor ClassSlots { get; }
    public Linear Projection { get; }

    public Tensor Forward(Tensor features)
    {
        DatasetFeatures.Check(features, Config);
        int b = features.Shape[0], c = features.Shape[1], k = features.Shape[2], f = features.Shape[3];
        var prototypes = intra.Forward(features.Reshape(b * c, k, f)).Reshape(b, c, f);
        prototypes = prototypes + ClassSlots.Slice(0, 0, c);
        return Projection.Forward(inter.Forward(prototypes));
    }
}

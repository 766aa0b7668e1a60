using RawDiffusion.Nn;

namespace RawDiffusion.Models;

/// <summary>D2NWG's hierarchical dataset encoder. Intra-class: each class's K examples -> 2 x ISAB -> PMA(1) -> 2 x SAB
/// -> Linear back to the feature width: one prototype per class, invariant to the order of the examples. A learned
/// embedding per class slot is added to the prototypes, so the inter-class attention knows which output each class
/// feeds. Inter-class: 2 x ISAB over the C prototypes (equivariant: one vector per class slot), then the slot vectors
/// are concatenated slot-major, padded with zeros to MaxClasses slots, and projected to the output length.
/// The inter-class stack ends in this ordered read-out instead of the paper's pooling (PMA) because a classifier head's
/// weights depend on which class sits in which output: pooling over the classes sums the slots away, leaves an encoding
/// that barely varies between tasks and cannot tell a task from its reordering, and contrastive alignment with the
/// weight latents then collapses to one embedding for every task.</summary>
public sealed class SetTransformerEncoder : Module, IDatasetEncoder
{
    readonly Layer[] intra, inter;

    public SetTransformerEncoder(DatasetEncoderConfig config, Generator? generator = null)
    {
        config.Validate();
        Config = config;
        int f = config.FeatureLength, h = config.Hidden;
        intra =
        [
            RegisterModule("intra.isab0", new Isab(f, h, config.Heads, config.InducingPoints, generator: generator)),
            RegisterModule("intra.isab1", new Isab(h, h, config.Heads, config.InducingPoints, generator: generator)),
            RegisterModule("intra.pma", new Pma(h, config.Heads, 1, generator: generator)),
            RegisterModule("intra.sab0", new Sab(h, h, config.Heads, generator: generator)),
            RegisterModule("intra.sab1", new Sab(h, h, config.Heads, generator: generator)),
            RegisterModule("intra.out", new Linear(h, f, generator: generator)),
        ];
        using (DisposeScope.Suspend()) ClassSlots = RegisterParameter("class_slots", Tensor.Zeros([config.MaxClasses, f]));
        Init.Normal(ClassSlots, 0, 0.02, generator);
        inter =
        [
            RegisterModule("inter.isab0", new Isab(f, h, config.Heads, config.InducingPoints, generator: generator)),
            RegisterModule("inter.isab1", new Isab(h, h, config.Heads, config.InducingPoints, generator: generator)),
        ];
        Projection = RegisterModule("proj", new Linear(config.MaxClasses * h, config.OutputLength, generator: generator));
    }

    public DatasetEncoderConfig Config { get; }
    /// <summary>[MaxClasses, FeatureLength]: added to the prototype of the class in each slot.</summary>
    public Tensor ClassSlots { get; }
    /// <summary>Linear from the slot-major concatenation [MaxClasses * Hidden] to [OutputLength].</summary>
    public Linear Projection { get; }

    public Tensor Forward(Tensor features)
    {
        DatasetFeatures.Check(features, Config);
        int b = features.Shape[0], c = features.Shape[1], k = features.Shape[2], f = features.Shape[3];
        var h = features.Reshape(b * c, k, f);
        foreach (var layer in intra) h = layer.Forward(h);
        h = h.Reshape(b, c, f) + ClassSlots.Slice(0, 0, c);
        foreach (var layer in inter) h = layer.Forward(h);
        // Absent classes read as zeros, like the MLP encoder's padding, so a task with fewer classes fills the first slots.
        if (c < Config.MaxClasses) h = F.Pad(h, [0, 0, 0, Config.MaxClasses - c]);
        return Projection.Forward(h.Reshape(b, Config.MaxClasses * Config.Hidden));
    }
}

using RawDiffusion.Models;
using RawDiffusion.Nn;
using RawDiffusion.Tasks;

namespace RawDiffusion.Pipeline;

/// <summary>
/// Turns support sets (K examples per class, in the task's class order) into the diffusion UNet's condition vectors,
/// one per generated vector: model-wise, the trained dataset encoder's embedding of the whole set (D2NWG); with class
/// rows, each class's prototype condition (<see cref="ClassRows.Conditions"/>). Training and sampling both go through
/// here, so they cannot disagree on what a condition is.
/// </summary>
public sealed class SupportConditioner : IDisposable
{
    readonly Module? encoder;

    SupportConditioner(Module? encoder, int length)
    {
        this.encoder = encoder;
        Length = length;
    }

    /// <summary>The run's conditioner: class-row conditions, or its trained dataset encoder (after `train encoder`).</summary>
    public static SupportConditioner Load(PipelineConfig config, RunFolder run) => config.Vectors.Layout == ClassRows.Layout
        ? new SupportConditioner(null, ClassRows.ConditionLength(config.Model.DatasetEncoder.FeatureLength))
        : new SupportConditioner(EncoderStage.Load(config, run), config.Model.DatasetEncoder.OutputLength);

    /// <summary>Length of one condition vector.</summary>
    public int Length { get; }

    /// <summary>Condition vectors per support set: one per class row, or one for the whole head.</summary>
    public int VectorsPerSet(int classes) => encoder == null ? classes : 1;

    /// <summary>Condition vectors [sets * VectorsPerSet, Length] of support sets [sets, C, K, F].</summary>
    public float[] Encode(float[] supports, int sets, int classes, int perClass, int features)
    {
        if (encoder == null) return ClassRows.Conditions(supports, sets, classes, perClass, features);
        using var _ = GradMode.NoGrad();
        using var scope = DisposeScope.Enter();
        return ((IDatasetEncoder)encoder).Forward(Tensor.FromArray(supports, sets, classes, perClass, features)).ToArray<float>();
    }

    /// <summary>Conditions of <paramref name="sets"/> support sets drawn from a task's rows.</summary>
    public float[] Draw(FeatureSet taskRows, int perClass, int sets, Generator generator) =>
        Encode(DrawSupports(taskRows, perClass, sets, generator), sets, taskRows.ClassCount, perClass, taskRows.FeatureLength);

    /// <summary><paramref name="sets"/> support sets [sets, C, K, F] drawn from a task's rows.</summary>
    public static float[] DrawSupports(FeatureSet taskRows, int perClass, int sets, Generator generator)
    {
        int size = taskRows.ClassCount * perClass * taskRows.FeatureLength;
        var supports = new float[sets * size];
        for (int s = 0; s < sets; s++) taskRows.SupportSet(perClass, generator).CopyTo(supports.AsSpan(s * size));
        return supports;
    }

    public void Dispose() => encoder?.Dispose();
}

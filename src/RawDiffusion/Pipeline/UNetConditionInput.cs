using RawDiffusion.Models;

namespace RawDiffusion.Pipeline;

/// <summary>
/// How a run's condition vectors (one of <see cref="SupportConditioner.Length"/> values per generated vector) enter the
/// UNet: as its condition vector (projected and added to the timestep embedding: `model.unet.conditionVectorLength`), as
/// a map concatenated to the noisy latent (D2NWG's way, the d2nwg-* presets: `model.unet.conditionMapChannels` maps of
/// the latent's size, the condition reshaped to them), or both. Training and sampling both build conditions here.
/// </summary>
public static class UNetConditionInput
{
    /// <summary>Throws naming the config fields unless the UNet takes conditions of <paramref name="length"/> values.</summary>
    public static void Check(UNetConfig unet, int length, string what)
    {
        int spatial = unet.SpatialShape.Aggregate(1, (a, b) => a * b), map = unet.ConditionMapChannels * spatial;
        if (unet.ConditionVectorLength == 0 && unet.ConditionMapChannels == 0)
            throw new ArgumentException($"model.unet takes no condition: set model.unet.conditionVectorLength to {length} or model.unet.conditionMapChannels so that channels x the latent's positions = {length} ({what})");
        if (unet.ConditionVectorLength != 0 && unet.ConditionVectorLength != length)
            throw new ArgumentException($"model.unet.conditionVectorLength {unet.ConditionVectorLength} must be {length} ({what}), or 0 when the condition enters as a map");
        if (unet.ConditionMapChannels != 0 && map != length)
            throw new ArgumentException($"model.unet.conditionMapChannels {unet.ConditionMapChannels} x the latent's {spatial} positions = {map} must be {length} ({what}), or 0 when the condition enters as a vector");
    }

    /// <summary>The UNet condition of <paramref name="count"/> condition vectors [count, length] (length 0: none), with
    /// the task-id condition's class indices or class weights when the run has one.</summary>
    public static UNetCondition Of(UNetConfig unet, float[] conditions, int count, Tensor? classIndex = null, Tensor? classWeights = null)
    {
        int length = conditions.Length / count;
        Tensor? vector = unet.ConditionVectorLength > 0 && length > 0 ? Tensor.FromArray(conditions, count, length) : null;
        Tensor? map = unet.ConditionMapChannels > 0 && length > 0 ? Tensor.FromArray(conditions, [count, unet.ConditionMapChannels, .. unet.SpatialShape]) : null;
        return new UNetCondition(Map: map, ClassIndex: classIndex, Vector: vector, ClassWeights: classWeights);
    }
}

using RawDiffusion.Diffusion;
using RawDiffusion.Models;
using RawDiffusion.Tasks;
using RawDiffusion.Zoo;

namespace RawDiffusion.Pipeline;

/// <summary>
/// Support-set guidance (<c>sampling.supportGuidance</c>): at every sampler step the clean latent estimate x̂0 of each
/// generated head is decoded to weights (VAE decoder, de-normalisation), the heads' cross-entropy on the task's support
/// examples is measured, and x̂0 takes <see cref="Steps"/> gradient steps of size <see cref="Scale"/> on it before the
/// sampler goes on (<see cref="CleanEstimateGuidance"/>: manifold-preserving guidance, He et al. 2024, in the VAE's
/// latent space as the paper does). The diffusion model supplies the prior over weights, the support examples the
/// likelihood: the same K examples per class the condition is built from and the baselines see, nothing else.
///
/// It needs linear heads: the class-row layout (rows [w_c, b_c]) or a model-wise linear head (weight [C, F], bias [C]).
/// </summary>
public sealed class SupportGuidance
{
    readonly WeightVae vae;
    readonly int[] latentShape;
    readonly Tensor scale, shift, inputs;
    readonly int[] labels;
    Tensor? targets;
    readonly int classes, features, weightOffset, biasOffset, vectorsPerHead;

    public SupportGuidance(WeightVae vae, int[] latentShape, NormalizationStats stats, TargetArchitecture architecture, bool classRows, FeatureSet support,
                           double stepSize, int steps)
    {
        if (!(stepSize > 0)) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "sampling.supportGuidance must be > 0 (0 turns it off)");
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        TensorSpec weightSpec, biasSpec;
        try { (weightSpec, biasSpec) = ClassRows.HeadTensors(architecture); }
        catch (ArgumentException e) { throw new ArgumentException($"sampling.supportGuidance steers linear heads: {e.Message}", e); }
        classes = weightSpec.Shape[0];
        features = weightSpec.Shape[1];
        if (support.FeatureLength != features || support.ClassCount != classes)
            throw new ArgumentException($"{support.Source}: {support.ClassCount} classes of {support.FeatureLength} features, the head \"{architecture.Name}\" is {classes} x {features}");
        var layout = stats.Layout;
        vectorsPerHead = classRows ? classes : 1;
        // Row vectors hold "weight" [F] and "bias" [1]; a model-wise head vector holds the head's own tensors.
        weightOffset = Segment(layout, classRows ? "weight" : weightSpec.Name, features * classes / vectorsPerHead);
        biasOffset = Segment(layout, classRows ? "bias" : biasSpec.Name, classes / vectorsPerHead);
        this.vae = vae;
        this.latentShape = latentShape;
        Scale = stepSize;
        Steps = steps;
        var (std, mean) = stats.PositionAffine();
        scale = Tensor.FromArray(std, 1, std.Length);
        shift = Tensor.FromArray(mean, 1, mean.Length);
        inputs = Tensor.FromArray(support.Features.ToArray(), support.Count, features);
        labels = support.Labels.ToArray();
    }

    public double Scale { get; }
    public int Steps { get; }

    static int Segment(WeightVectorizer layout, string tensor, int length)
    {
        var segment = layout.Segments.FirstOrDefault(s => s.Tensor == tensor)
            ?? throw new ArgumentException($"sampling.supportGuidance: the weight layout has no tensor \"{tensor}\" ({layout})");
        if (segment.Length != length || segment.Offset != 0)
            throw new ArgumentException($"sampling.supportGuidance: tensor \"{tensor}\" is split in the layout ({layout}); it needs each head tensor whole in one vector");
        return segment.VectorOffset;
    }

    /// <summary>The guidance for the sampler: x̂0 [heads * vectorsPerHead, latent...] (scaled latents) moved down the support loss.</summary>
    public CleanEstimateGuidance Steer => (x0, _) =>
    {
        var current = x0;
        for (int step = 0; step < Steps; step++)
        {
            var gradient = Gradient(current);
            current = current - gradient * Scale;
        }
        return current;
    };

    /// <summary>Mean support cross-entropy of each head, summed over heads (so each head's gradient is its own), at the
    /// decoded weights of the scaled latents x0.</summary>
    public Tensor Loss(Tensor x0)
    {
        int vectors = x0.Shape[0];
        if (vectors % vectorsPerHead != 0) throw new ArgumentException($"{vectors} vectors do not make heads of {vectorsPerHead}", nameof(x0));
        int heads = vectors / vectorsPerHead;
        var decoded = vae.Decode((x0 / vae.LatentScale).Reshape([vectors, .. latentShape]));
        var weights = decoded * scale + shift;
        var w = weights.Slice(1, weightOffset, features * classes / vectorsPerHead).Reshape(heads * classes, features);
        var b = weights.Slice(1, biasOffset, classes / vectorsPerHead).Reshape(1, heads * classes);
        // logits [N, heads * C] -> [N, C, heads]: one cross-entropy per (example, head).
        var logits = (inputs.MatMul(w.Transpose(0, 1)) + b).Reshape(inputs.Shape[0], heads, classes).Permute(0, 2, 1);
        return F.CrossEntropy(logits, Targets(heads), "sum") * (1.0 / inputs.Shape[0]);
    }

    /// <summary>The support labels [N, heads], each example's label repeated for every head; made once per head count
    /// (every sampler step of a batch asks for the same), outside any step's dispose scope.</summary>
    Tensor Targets(int heads)
    {
        if (targets?.Shape[1] != heads)
            using (DisposeScope.Suspend())
                targets = Tensor.FromArray(Enumerable.Range(0, labels.Length * heads).Select(i => labels[i / heads]).ToArray(), labels.Length, heads);
        return targets;
    }

    Tensor Gradient(Tensor x0)
    {
        using var grad = GradMode.EnableGrad();
        using var scope = DisposeScope.Enter();
        var leaf = x0.Detach().Clone();
        leaf.RequiresGrad = true;
        Loss(leaf).Backward();
        var gradient = leaf.Grad!;
        leaf.Grad = null;
        return scope.MoveToOuter(gradient);
    }
}

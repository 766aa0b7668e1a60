namespace RawDiffusion.Models;

/// <summary>The CLIP-style loss that aligns dataset embeddings D with the (frozen) VAE latents W of the weights trained
/// on those datasets: logits = W·Dᵀ/T, soft targets softmax((D·Dᵀ + W·Wᵀ)/(2T)) (so near-duplicate tasks are not
/// pushed apart), symmetric cross-entropy over rows and columns.</summary>
public static class ContrastiveAlignment
{
    /// <param name="datasetEmbeddings">[B, E]</param>
    /// <param name="weightLatents">[B, E]; detached from any graph by the caller (frozen VAE).</param>
    public static Tensor Loss(Tensor datasetEmbeddings, Tensor weightLatents, double temperature = 1)
    {
        if (datasetEmbeddings.Rank != 2 || !ShapeMath.SameShape(datasetEmbeddings.Shape, weightLatents.Shape))
            throw new ArgumentException($"contrastive alignment needs two [B, E] tensors of one shape, got {ShapeMath.Format(datasetEmbeddings.Shape)} and {ShapeMath.Format(weightLatents.Shape)}");
        if (temperature <= 0) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be positive");
        var d = datasetEmbeddings;
        var w = weightLatents;
        var logits = w.MatMul(d.Transpose(0, 1)) * (1 / temperature);
        var targets = F.Softmax((d.MatMul(d.Transpose(0, 1)) + w.MatMul(w.Transpose(0, 1))) * (0.5 / temperature), -1);
        var rows = F.CrossEntropy(logits, targets);
        var columns = F.CrossEntropy(logits.Transpose(0, 1), targets.Transpose(0, 1));
        return (rows + columns) * 0.5;
    }
}
